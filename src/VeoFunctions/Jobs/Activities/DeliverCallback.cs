using Microsoft.DurableTask;
using VeoFunctions.Callbacks;
using VeoFunctions.Storage;

namespace VeoFunctions.Jobs.Activities;

/// <summary>One callback to deliver: <see cref="EventId"/> stays the same on every retry, so receivers can dedupe.</summary>
public sealed record CallbackDelivery(string JobId, Uri Url, string EventId, JobStatus Status);

/// <summary>
/// POSTs a job's status document, signed, to the caller's callback URL. A receiver that is down or slow makes it throw
/// (<see cref="CallbackDeliveryException"/>), for the orchestrator's retry policy to try again over hours; a receiver's
/// refusal comes back as an undelivered <see cref="CallbackOutcome"/>. Either way the job's own outcome stays as it is.
/// </summary>
/// <remarks>A video in the document gets a fresh download link at each attempt, as <c>GET /api/videos/{id}</c> gives one.</remarks>
public sealed class DeliverCallback(CallbackSender sender, VideoLinks links) : TaskActivity<CallbackDelivery, CallbackOutcome>
{
    public override async Task<CallbackOutcome> RunAsync(TaskActivityContext context, CallbackDelivery input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var status = await links.WithLinkAsync(input.Status, CancellationToken.None).ConfigureAwait(false);
        return await sender.SendAsync(input.Url, input.EventId, status, CancellationToken.None).ConfigureAwait(false);
    }
}
