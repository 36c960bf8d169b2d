using System.Net;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using VeoFunctions.Jobs;
using VeoFunctions.Storage;

namespace VeoFunctions.Money;

/// <summary>
/// Makes the paid step, the submit to fal, happen at most once per job even if its activity runs again
/// (a worker crash, a redelivered work item). Before submitting, an intent marker is created exclusively;
/// the moment fal answers, the request is recorded. A rerun finds the record and returns it; a rerun that
/// finds only the marker cannot know whether fal took the request, and must not submit again. If fal did
/// take it, its signed webhook (whose URL names the job) later supplies the request id: it is adopted.
/// </summary>
public sealed class SubmissionLedger(BlobContainers containers)
{
    public async Task<FalJob?> FindAsync(string jobId, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        try
        {
            var content = await container.GetBlobClient(RecordName(jobId)).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return content.Value.Content.ToObjectFromJson<FalJob>(JsonOptions);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Claims the right to submit, keeping the job's webhook token with the claim. False when an earlier attempt
    /// already claimed it. Each attempt marks its claim with its own nonce, so a create that the SDK re-sent after
    /// a timeout (and that answers 409 to itself) is recognised as ours.
    /// </summary>
    public async Task<bool> TryBeginAsync(string jobId, string webhookToken, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        var intent = new SubmitIntent(webhookToken, Guid.NewGuid().ToString("N"));
        try
        {
            await container.GetBlobClient(IntentName(jobId)).UploadAsync(
                BinaryData.FromObjectAsJson(intent, JsonOptions),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            return (await ReadIntentAsync(jobId, cancellationToken).ConfigureAwait(false))?.Attempt == intent.Attempt;
        }
    }

    /// <summary>Releases the claim after a failure that fal certainly did not accept, so a retry may submit.</summary>
    public async Task AbandonAsync(string jobId, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        await container.GetBlobClient(IntentName(jobId)).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The webhook token of a submit that was started (answered or not), or null if none was.</summary>
    public async Task<string?> StartedWithTokenAsync(string jobId, CancellationToken cancellationToken) =>
        (await ReadIntentAsync(jobId, cancellationToken).ConfigureAwait(false))?.WebhookToken;

    private async Task<SubmitIntent?> ReadIntentAsync(string jobId, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        try
        {
            var intent = await container.GetBlobClient(IntentName(jobId)).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return intent.Value.Content.ToObjectFromJson<SubmitIntent>(JsonOptions);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (JsonException)
        {
            // Unreadable, yet a submit was started: it holds the claim, and no token can match it.
            return new SubmitIntent("", "");
        }
    }

    /// <summary>
    /// Records a request learnt from fal's webhook when the submit's own answer was lost, unless a record exists
    /// already (the submit's answer wins: it carries fal's own URLs). Returns the record now in place.
    /// </summary>
    public async Task<FalJob> AdoptAsync(string jobId, FalJob learnt, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        try
        {
            await container.GetBlobClient(RecordName(jobId)).UploadAsync(
                BinaryData.FromObjectAsJson(learnt, JsonOptions),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken).ConfigureAwait(false);
            return learnt;
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            return await FindAsync(jobId, cancellationToken).ConfigureAwait(false) ?? learnt;
        }
    }

    public async Task RecordAsync(string jobId, FalJob job, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        await container.GetBlobClient(RecordName(jobId)).UploadAsync(BinaryData.FromObjectAsJson(job, JsonOptions), overwrite: true, cancellationToken).ConfigureAwait(false);
    }

    private sealed record SubmitIntent(string WebhookToken, string Attempt);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private static string RecordName(string jobId) => $"{jobId}/submission.json";

    private static string IntentName(string jobId) => $"{jobId}/submit-intent";
}
