using Microsoft.DurableTask;
using VeoFunctions.Manifests;

namespace VeoFunctions.Jobs.Activities;

/// <summary>How a manifest's job ended, for its result file.</summary>
public sealed record ManifestOutcome(ManifestEntry Entry, JobStatus Status);

/// <summary>Records how a job ended in the result file beside the manifest it came from.</summary>
public sealed class RecordManifestOutcome(ManifestResults results) : TaskActivity<ManifestOutcome, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, ManifestOutcome input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await results.RecordEndAsync(input.Entry, input.Status, CancellationToken.None).ConfigureAwait(false);
        return true;
    }
}
