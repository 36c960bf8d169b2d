using System.Text.Json;
using Fal;
using Fal.Platform;
using Fal.Queue;
using Fal.Veo31;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Money;

namespace VeoFunctions.Jobs.Activities;

/// <summary>
/// Looks for a request whose submit answer was lost in fal's request list (the Platform API), by this job's own
/// fal-storage image URLs, which no other request carries; a match is adopted through the ledger, as the webhook
/// door adopts one. Read-only at fal: never submits.
/// </summary>
public sealed partial class FindLostRequest(FalPlatformClient platform, SubmissionLedger ledger, IOptions<FalOptions> fal, ILogger<FindLostRequest> logger, Telemetry.VeoMetrics metrics)
    : TaskActivity<LostRequestQuery, LostRequestLookup>
{
    /// <summary>How far before the attempt the listing starts: the orchestration's clock is not the moment the bytes left.</summary>
    public static readonly TimeSpan ClockSlack = TimeSpan.FromMinutes(10);

    public override async Task<LostRequestLookup> RunAsync(TaskActivityContext context, LostRequestQuery input)
    {
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            await foreach (var listed in platform.ListRequestsByEndpointAsync(ReferenceToVideoInput.EndpointId, input.SubmittedFrom - ClockSlack, null, withPayloads: true, CancellationToken.None).ConfigureAwait(false))
            {
                if (NamesImages(listed.JsonInput, input.ImageUrls))
                {
                    var named = FalRequest.FromRequestId(ReferenceToVideoInput.EndpointId, listed.RequestId, fal.Value.QueueBaseUrl);
                    var adopted = await ledger.AdoptAsync(input.JobId, new FalJob(named.RequestId, named.StatusUrl, named.ResponseUrl, named.CancelUrl, null, listed.SentAt), CancellationToken.None).ConfigureAwait(false);
                    Log.Found(logger, input.JobId, adopted.RequestId);
                    metrics.Adopted("list");
                    return new LostRequestLookup(adopted, null);
                }
            }

            return new LostRequestLookup(null, null);
        }
        catch (FalApiException ex) when (!ex.IsTransient)
        {
            // Retrying cannot help (a key without the Platform API's scope, say); the job shows why and waits on.
            return new LostRequestLookup(null, ex.Message);
        }
    }

    /// <summary>True when the request's input names exactly these image URLs, in this order.</summary>
    internal static bool NamesImages(JsonElement? input, IReadOnlyList<string> imageUrls) =>
        input is { ValueKind: JsonValueKind.Object } json
        && json.TryGetProperty("image_urls", out var urls)
        && urls.ValueKind == JsonValueKind.Array
        && urls.GetArrayLength() == imageUrls.Count
        && urls.EnumerateArray().Select(u => u.ValueKind == JsonValueKind.String ? u.GetString() : null).SequenceEqual(imageUrls);

    private static partial class Log
    {
        [LoggerMessage(2201, LogLevel.Warning, "Job {JobId}: fal's request list names request {RequestId} for the submit whose answer was lost; adopted")]
        public static partial void Found(ILogger logger, string jobId, string requestId);
    }
}
