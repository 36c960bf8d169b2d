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
/// It checks before it reads: the job, fal's four signature headers, the timestamp window and the account are checked
/// before a byte of the body is taken, so a caller without them cannot hold an invocation; the body is then read up to
/// <see cref="MaxBodyBytes"/> within <see cref="BodyDeadline"/>, verified on the raw bytes, and handed to
/// <see cref="FalWebhookIntake"/>. Every genuine delivery gets a 2xx, whatever state its job is in (duplicates, late
/// ones, ones for ended jobs): fal would otherwise retry it for hours. A body too large, too slow or cut short is the
/// sender's 413/408/400, never a 5xx (which the webhook-5xx alert counts).
/// </summary>
public sealed partial class ReceiveFalWebhook(FalWebhookVerifier verifier, FalWebhookIntake intake, ILogger<ReceiveFalWebhook> logger, TimeProvider? time = null)
{
    /// <summary>
    /// A Veo delivery is a few hundred bytes (a video URL and its size; an error's detail is a few KB, and fal sends
    /// <c>payload_error</c> instead of a payload it cannot serialise): 256 KB leaves ample room and bounds what an
    /// anonymous caller can make us buffer.
    /// </summary>
    public const int MaxBodyBytes = 256 * 1024;

    /// <summary>The whole body must arrive within this; fal sends it in one go.</summary>
    public static readonly TimeSpan BodyDeadline = TimeSpan.FromSeconds(10);

    private static int s_unpinnedNoted;

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

        string? Header(string name) => request.Headers[name].FirstOrDefault();
        var headers = verifier.CheckHeaders(Header);
        if (!headers.IsValid)
        {
            Log.Rejected(logger, jobId, headers.Failure!);
            return Problems.Unauthorized(headers.Failure!);
        }

        var read = await RequestBody.ReadAsync(request, MaxBodyBytes, cancellationToken, BodyDeadline, time).ConfigureAwait(false);
        if (read.Bytes is not { } body)
        {
            Log.BodyNotRead(logger, jobId, read.Failure);
            return Problems.BodyNotRead(read.Failure, MaxBodyBytes, BodyDeadline);
        }

        var verification = await verifier.VerifyAsync(Header, body, cancellationToken).ConfigureAwait(false);
        if (!verification.IsValid)
        {
            Log.Rejected(logger, jobId, verification.Failure!);
            return Problems.Unauthorized(verification.Failure!);
        }

        if (!verifier.PinsAccount && Interlocked.Exchange(ref s_unpinnedNoted, 1) == 0)
        {
            Log.AccountNotPinned(logger, Header(FalWebhookVerifier.UserIdHeader));
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

        [LoggerMessage(4010, LogLevel.Warning, "Refused a webhook body for job {JobId}: {Failure}")]
        public static partial void BodyNotRead(ILogger logger, string? jobId, BodyFailure failure);

        [LoggerMessage(4011, LogLevel.Warning, "fal webhooks are taken from any fal account: set Fal:WebhookUserId to {FalUserId}, the account this verified delivery came from")]
        public static partial void AccountNotPinned(ILogger logger, string? falUserId);
    }
}
