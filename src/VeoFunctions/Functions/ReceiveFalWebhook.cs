using System.Text.Json;
using Fal;
using Fal.Queue;
using Fal.Veo31;
using Fal.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Http;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using VeoFunctions.Storage;

namespace VeoFunctions.Functions;

/// <summary>
/// <c>POST /api/fal/webhook?job={jobId}</c>: anonymous, so the signature is the only proof it is fal. Verified on
/// the raw bytes, matched to the job's own fal request, then raised as an event. Delivered twice, it is raised
/// twice, and the second is ignored by an orchestration that already moved on.
/// </summary>
public sealed partial class ReceiveFalWebhook(
    FalWebhookVerifier verifier, SubmissionLedger ledger, IOptions<FalOptions> fal, TimeProvider time, ILogger<ReceiveFalWebhook> logger)
{
    public const int MaxBodyBytes = 1024 * 1024;

    [Function(nameof(ReceiveFalWebhook))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fal/webhook")] HttpRequest request,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(durable);
        string? jobId = request.Query["job"];
        if (!JobIds.IsWellFormed(jobId))
        {
            return Problems.BadRequest("The webhook URL names no job.");
        }

        var body = await RequestBody.ReadAsync(request, MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return Problems.TooLarge(MaxBodyBytes);
        }

        var verification = await verifier.VerifyAsync(name => request.Headers[name].FirstOrDefault(), body, cancellationToken).ConfigureAwait(false);
        if (!verification.IsValid)
        {
            Log.Rejected(logger, jobId, verification.Failure!);
            return Problems.Unauthorized(verification.Failure!);
        }

        FalWebhookDelivery? delivery;
        try
        {
            delivery = JsonSerializer.Deserialize(body, FalJsonContext.Default.FalWebhookDelivery);
        }
        catch (JsonException)
        {
            delivery = null;
        }

        if (delivery is null || delivery.RequestId != verification.RequestId)
        {
            return Problems.BadRequest("The webhook body is not a fal delivery for the signed request id.");
        }

        var recorded = await ledger.FindAsync(jobId!, cancellationToken).ConfigureAwait(false);
        if (recorded is null)
        {
            string? token = await ledger.StartedWithTokenAsync(jobId!, cancellationToken).ConfigureAwait(false);
            if (token is null)
            {
                return Problems.NotFound("This job has no fal request on record.");
            }

            if (!TokenMatches(token, request.Query["token"]))
            {
                Log.Rejected(logger, jobId, "wrong webhook token for a job awaiting adoption");
                return Problems.Unauthorized("The webhook URL's token is not this job's.");
            }

            // The submit was sent but its answer is not on record (lost to a crash or a timeout, or simply slower than
            // fal): this signed delivery, to the URL only this job was given, tells which request is the job's.
            var named = FalRequest.FromRequestId(ReferenceToVideoInput.EndpointId, delivery.RequestId!, fal.Value.QueueBaseUrl);
            recorded = await ledger.AdoptAsync(jobId!, new FalJob(named.RequestId, named.StatusUrl, named.ResponseUrl, named.CancelUrl, null, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
            Log.Adopted(logger, jobId!, recorded.RequestId);
        }

        if (recorded.RequestId != delivery.RequestId)
        {
            Log.WrongJob(logger, jobId!, delivery.RequestId!);
            return Problems.Conflict("The fal request does not belong to this job.");
        }

        await durable.RaiseEventAsync(jobId!, VideoJobOrchestrator.FalWebhookEvent, ToEvent(delivery), cancellationToken).ConfigureAwait(false);
        Log.Raised(logger, jobId!, delivery.RequestId!, delivery.Status ?? "?");
        return new OkResult();
    }

    // An empty token never matches: an intent without one (or a forged URL without one) cannot adopt.
    private static bool TokenMatches(string expected, string? given) =>
        expected.Length > 0 && given is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(given));

    internal static FalWebhookEvent ToEvent(FalWebhookDelivery delivery)
    {
        string requestId = delivery.RequestId!;
        if (!delivery.IsOk)
        {
            var detail = delivery.Payload is { } payload ? FalErrorDetail.FromJson(payload) : FalErrorDetail.Empty;
            string why = detail.Message.Length > 0 ? detail.Describe(0) : $"fal reported the generation failed: {delivery.Error ?? "no detail given"}.";
            return new FalWebhookEvent(requestId, false, null, null, null, why);
        }

        Fal.Veo31.FalFile? video = null;
        try
        {
            video = delivery.HasPayload ? delivery.Payload!.Value.Deserialize(FalJsonContext.Default.ReferenceToVideoOutput)?.Video : null;
        }
        catch (JsonException)
        {
            // An unexpected payload shape: the orchestrator fetches the result from the queue instead.
        }

        return new FalWebhookEvent(requestId, true, video?.Url, video?.ContentType, video?.FileSize, null);
    }

    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Warning, "Refused a webhook for job {JobId}: {Reason}")]
        public static partial void Rejected(ILogger logger, string? jobId, string reason);

        [LoggerMessage(4002, LogLevel.Warning, "Refused a signed webhook for job {JobId}: fal request {RequestId} belongs to another job")]
        public static partial void WrongJob(ILogger logger, string jobId, string requestId);

        [LoggerMessage(4004, LogLevel.Warning, "Job {JobId} adopted fal request {RequestId} from its webhook: the submit's own answer was not on record")]
        public static partial void Adopted(ILogger logger, string jobId, string requestId);

        [LoggerMessage(4003, LogLevel.Information, "Webhook for job {JobId}, fal request {RequestId}: {Status}")]
        public static partial void Raised(ILogger logger, string jobId, string requestId, string status);
    }
}
