using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using VeoFunctions.Manifests;

namespace VeoFunctions.Functions;

/// <summary>
/// A manifest uploaded to the jobs container (<c>{batch}/{name}.json</c>) starts its jobs. Event Grid delivers the
/// upload (Flex Consumption supports no other blob trigger source) to the blob extension's webhook; the host runs
/// this at least once per event, so <see cref="ManifestIntake"/> makes a redelivery start nothing twice.
/// </summary>
public sealed class StartManifestJobs(ManifestIntake intake)
{
    [Function(nameof(StartManifestJobs))]
    public async Task RunAsync(
        [BlobTrigger("%Storage:JobsContainer%/{name}", Source = BlobTriggerSource.EventGrid, Connection = "JobsStorage")] BlobClient manifest,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        await intake.AcceptAsync(durable, manifest.BlobContainerName, manifest.Name, cancellationToken).ConfigureAwait(false);
    }
}
