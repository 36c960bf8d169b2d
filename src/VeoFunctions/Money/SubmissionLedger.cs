using System.Globalization;
using System.Net;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using VeoFunctions.Jobs;
using VeoFunctions.Storage;

namespace VeoFunctions.Money;

/// <summary>
/// Makes the paid step, the submit to fal, happen at most once per attempt even if its activity runs again
/// (a worker crash, a redelivered work item). Before submitting, an intent marker is created exclusively;
/// the moment fal answers, the request is recorded. A rerun finds the record and returns it; a rerun that
/// finds only the marker cannot know whether fal took the request, and must not submit again. The request is
/// then found (fal's signed webhook to this job's own URL, or fal's request list) and adopted. A second attempt
/// has its own marker and is made only once fal's list has shown that the first one was never queued.
/// </summary>
/// <remarks>
/// Everything lives under <c>ledger/{jobId}/</c>, which no retention rule touches. Jobs started by the release
/// before prefixes existed kept theirs under <c>{jobId}/</c>: those names are still read.
/// </remarks>
public sealed class SubmissionLedger(BlobContainers containers)
{
    public async Task<FalJob?> FindAsync(string jobId, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        return await ReadAsync<FalJob>(container, RecordName(jobId), cancellationToken).ConfigureAwait(false)
            ?? await ReadAsync<FalJob>(container, $"{jobId}/submission.json", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Claims the right to make submit attempt <paramref name="attempt"/>, keeping the job's webhook token with the
    /// claim. False when that attempt was already claimed. Each call marks its claim with its own nonce, so a create
    /// that the SDK re-sent after a timeout (and that answers 409 to itself) is recognised as ours.
    /// </summary>
    public async Task<bool> TryBeginAsync(string jobId, string webhookToken, int attempt, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        if (attempt == 1 && await ExistsAsync(container.GetBlobClient($"{jobId}/submit-intent"), cancellationToken).ConfigureAwait(false))
        {
            return false; // the previous release made this attempt
        }

        var intent = new SubmitIntent(webhookToken, Guid.NewGuid().ToString("N"));
        try
        {
            await container.GetBlobClient(IntentName(jobId, attempt)).UploadAsync(
                BinaryData.FromObjectAsJson(intent, JsonOptions),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            return (await ReadIntentAsync(container, IntentName(jobId, attempt), cancellationToken).ConfigureAwait(false))?.Attempt == intent.Attempt;
        }
    }

    /// <summary>Releases a claim after a failure that fal certainly did not accept, so a retry may submit.</summary>
    public async Task AbandonAsync(string jobId, int attempt, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        await container.GetBlobClient(IntentName(jobId, attempt)).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The webhook token of a submit that was started (answered or not), or null if none was.</summary>
    public async Task<string?> StartedWithTokenAsync(string jobId, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        var intent = await ReadIntentAsync(container, IntentName(jobId, 1), cancellationToken).ConfigureAwait(false)
            ?? await ReadIntentAsync(container, $"{jobId}/submit-intent", cancellationToken).ConfigureAwait(false);
        return intent?.WebhookToken;
    }

    /// <summary>
    /// True when a submit of the job was begun and not given up as one fal certainly refused: fal may have its request,
    /// recorded or not. A job that ended with no request recorded but this true may have been billed.
    /// </summary>
    /// <remarks>
    /// The intents alone cannot tell a lost submit never found from one fal's request list proved never queued (the
    /// job decides that, not the ledger), so the rare job whose submits were all proven unqueued is counted too: the
    /// budget errs towards a job that never ran, never towards one that did.
    /// </remarks>
    public async Task<bool> MayHaveReachedFalAsync(string jobId, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        foreach (string name in new[] { RecordName(jobId), IntentName(jobId, 1), IntentName(jobId, 2), $"{jobId}/submit-intent", $"{jobId}/submission.json" })
        {
            if (await ExistsAsync(container.GetBlobClient(name), cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Records a request found without the submit's own answer (named by fal's webhook, or found in fal's request
    /// list), unless a record exists already: the first record wins, so every path agrees on one request.
    /// Returns the record now in place.
    /// </summary>
    public async Task<FalJob> AdoptAsync(string jobId, FalJob learnt, CancellationToken cancellationToken)
    {
        if (await FindAsync(jobId, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }

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

    /// <summary>Records fal's own answer to a submit. It overwrites an adopted record: fal's answer carries its own URLs.</summary>
    public async Task RecordAsync(string jobId, FalJob job, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        await container.GetBlobClient(RecordName(jobId)).UploadAsync(BinaryData.FromObjectAsJson(job, JsonOptions), overwrite: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The blob of the job's submission record.</summary>
    public static string RecordName(string jobId) => $"ledger/{jobId}/submission.json";

    /// <summary>The blob marking submit attempt <paramref name="attempt"/> as begun.</summary>
    public static string IntentName(string jobId, int attempt) =>
        attempt == 1 ? $"ledger/{jobId}/submit-intent" : string.Create(CultureInfo.InvariantCulture, $"ledger/{jobId}/submit-intent-{attempt}");

    private static async Task<SubmitIntent?> ReadIntentAsync(BlobContainerClient container, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadAsync<SubmitIntent>(container, name, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            // Unreadable, yet a submit was started: it holds the claim, and no token can match it.
            return new SubmitIntent("", "");
        }
    }

    private static async Task<T?> ReadAsync<T>(BlobContainerClient container, string name, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var content = await container.GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return content.Value.Content.ToObjectFromJson<T>(JsonOptions);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task<bool> ExistsAsync(BlobClient blob, CancellationToken cancellationToken) =>
        (await blob.ExistsAsync(cancellationToken).ConfigureAwait(false)).Value;

    private sealed record SubmitIntent(string WebhookToken, string Attempt);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
