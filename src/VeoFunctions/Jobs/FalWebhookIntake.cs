using System.Security.Cryptography;
using System.Text;
using Fal;
using Fal.Queue;
using Fal.Veo31;
using Fal.Webhooks;
using Grpc.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Money;

namespace VeoFunctions.Jobs;

/// <summary>
/// Takes a verified fal delivery for a job, whatever state the job is in: it finds (or adopts) the job's request,
/// keeps a successful delivery on the job's <see cref="DeliveryLedger"/> record, starts the salvage run when the job
/// has closed without its video, and raises the event if the job still runs. Nothing here depends on how a durable
/// backend treats an event raised on an ended instance, and a job's state never makes it fail.
/// </summary>
public sealed partial class FalWebhookIntake(
    SubmissionLedger ledger, DeliveryLedger deliveries, SalvageRuns salvage, IOptions<FalOptions> fal, TimeProvider time, ILogger<FalWebhookIntake> logger, Telemetry.VeoMetrics metrics)
{
    public async Task<WebhookIntakeOutcome> AcceptAsync(DurableTaskClient durable, string jobId, string? token, FalWebhookDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(durable);
        ArgumentNullException.ThrowIfNull(delivery);
        var recorded = await ledger.FindAsync(jobId, cancellationToken).ConfigureAwait(false);
        if (recorded is null)
        {
            string? expected = await ledger.StartedWithTokenAsync(jobId, cancellationToken).ConfigureAwait(false);
            if (expected is null)
            {
                Log.NothingToDo(logger, jobId, delivery.RequestId!);
                return WebhookIntakeOutcome.NothingToDo;
            }

            if (!TokenMatches(expected, token))
            {
                Log.WrongToken(logger, jobId);
                return WebhookIntakeOutcome.WrongToken;
            }

            // The submit was sent but its answer is not on record (lost to a crash or a timeout, or simply slower than
            // fal): this signed delivery, to the URL only this job was given, tells which request is the job's.
            var named = FalRequest.FromRequestId(ReferenceToVideoInput.EndpointId, delivery.RequestId!, fal.Value.QueueBaseUrl);
            recorded = await ledger.AdoptAsync(jobId, new FalJob(named.RequestId, named.StatusUrl, named.ResponseUrl, named.CancelUrl, null, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
            Log.Adopted(logger, jobId, recorded.RequestId);
            metrics.Adopted("webhook");
        }

        if (recorded.RequestId != delivery.RequestId)
        {
            Log.WrongJob(logger, jobId, delivery.RequestId!);
            return WebhookIntakeOutcome.WrongJob;
        }

        var delivered = FalWebhookEvent.From(delivery);
        var instance = await durable.GetInstanceAsync(jobId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        if (await deliveries.RecordAsync(jobId, delivered, EndedWithoutVideo(instance), cancellationToken).ConfigureAwait(false) is { } claim)
        {
            await salvage.StartAsync(durable, jobId, new SalvageInput(claim.Plan, recorded, claim.Delivered), claim.Won, cancellationToken).ConfigureAwait(false);
        }

        if (instance is { IsRunning: true } or { RuntimeStatus: OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended })
        {
            await RaiseAsync(durable, jobId, delivered, cancellationToken).ConfigureAwait(false);
        }

        Log.Accepted(logger, jobId, delivered.RequestId, delivery.Status ?? "?", instance?.RuntimeStatus);
        return WebhookIntakeOutcome.Accepted;
    }

    // A job that ended without its video and never closed its delivery record (the first release's jobs, or one an
    // operator terminated): its input holds what a salvage run needs.
    private ArchivePlan? EndedWithoutVideo(OrchestrationMetadata? instance) =>
        instance is { IsCompleted: true } && instance.RuntimeStatus != OrchestrationRuntimeStatus.Completed ? salvage.PlanOf(instance) : null;

    // The record already holds the delivery, so a raise that fails only makes the job learn it later (its status
    // checks find fal's result, and its close finds the record). An instance that ended meanwhile makes the host throw.
    private async Task RaiseAsync(DurableTaskClient durable, string jobId, FalWebhookEvent delivered, CancellationToken cancellationToken)
    {
        try
        {
            await durable.RaiseEventAsync(jobId, VideoJobOrchestrator.FalWebhookEvent, delivered, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound)
        {
            Log.EndedMeanwhile(logger, jobId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.RaiseFailed(logger, jobId, ex);
        }
    }

    // An empty token never matches: an intent without one (or a forged URL without one) cannot adopt.
    private static bool TokenMatches(string expected, string? given) =>
        expected.Length > 0 && given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));

    private static partial class Log
    {
        [LoggerMessage(4003, LogLevel.Information, "Webhook for job {JobId}, fal request {RequestId}: {Status} (job {RuntimeStatus})")]
        public static partial void Accepted(ILogger logger, string jobId, string requestId, string status, OrchestrationRuntimeStatus? runtimeStatus);

        [LoggerMessage(4002, LogLevel.Warning, "Refused a signed webhook for job {JobId}: fal request {RequestId} belongs to another job")]
        public static partial void WrongJob(ILogger logger, string jobId, string requestId);

        [LoggerMessage(4004, LogLevel.Warning, "Job {JobId} adopted fal request {RequestId} from its webhook: the submit's own answer was not on record")]
        public static partial void Adopted(ILogger logger, string jobId, string requestId);

        [LoggerMessage(4005, LogLevel.Warning, "Refused a webhook for job {JobId}: wrong webhook token for a job awaiting adoption")]
        public static partial void WrongToken(ILogger logger, string jobId);

        [LoggerMessage(4006, LogLevel.Warning, "A signed webhook for fal request {RequestId} names job {JobId}, which has no submit on record; nothing to do")]
        public static partial void NothingToDo(ILogger logger, string jobId, string requestId);

        [LoggerMessage(4008, LogLevel.Information, "Job {JobId} ended before its webhook could be raised; the delivery is on its record")]
        public static partial void EndedMeanwhile(ILogger logger, string jobId);

        [LoggerMessage(4009, LogLevel.Warning, "Raising the webhook event for job {JobId} failed; the delivery is on its record")]
        public static partial void RaiseFailed(ILogger logger, string jobId, Exception exception);
    }
}
