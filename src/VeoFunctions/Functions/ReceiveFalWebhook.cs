using System.Text.Json;
using Fal;
using Fal.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using VeoFunctions.Http;
using VeoFunctions.Jobs;

namespace VeoFunctions.Functions;

/// <summary>
/// <c>POST /api/fal/webhook?job={jobId}&amp;token={token}</c>: anonymous, so the signature is the only proof it is fal.
/// Verified on the raw bytes, then handed to <see cref="FalWebhookIntake"/>. Every genuine delivery gets a 2xx,
/// whatever state its job is in (duplicates, late ones, ones for ended jobs): fal would otherwise retry it for hours.
/// </summary>
public sealed partial class ReceiveFalWebhook(FalWebhookVerifier verifier, FalWebhookIntake intake, ILogger<ReceiveFalWebhook> logger)
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

        // The signed header id is fal's request id, or its gateway id when fal retried internally; the job is bound by
        // the body's request_id.
        if (delivery?.RequestId is null || !delivery.IsNamedBy(verification.RequestId))
        {
            return Problems.BadRequest("The webhook body is not a fal delivery for the signed request id.");
        }

        using var scope = Telemetry.JobLogScope.Begin(logger, jobId!, delivery.RequestId);
        return await intake.AcceptAsync(durable, jobId!, request.Query["token"], delivery, cancellationToken).ConfigureAwait(false) switch
        {
            WebhookIntakeOutcome.WrongToken => Problems.Unauthorized("The webhook URL's token is not this job's."),
            WebhookIntakeOutcome.WrongJob => Problems.Conflict("The fal request does not belong to this job."),
            _ => new OkResult(),
        };
    }

    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Warning, "Refused a webhook for job {JobId}: {Reason}")]
        public static partial void Rejected(ILogger logger, string? jobId, string reason);
    }
}
