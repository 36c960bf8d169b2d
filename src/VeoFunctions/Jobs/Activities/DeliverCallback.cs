using Microsoft.DurableTask;
using VeoFunctions.Callbacks;

namespace VeoFunctions.Jobs.Activities;

/// <summary>One callback to deliver: <see cref="EventId"/> stays the same on every retry, so receivers can dedupe.</summary>
public sealed record CallbackDelivery(string JobId, Uri Url, string EventId, JobStatus Status);

/// <summary>
/// POSTs a job's status document, signed, to the caller's callback URL. A receiver that is down or slow makes it throw
/// (<see cref="CallbackDeliveryException"/>), for the orchestrator's retry policy to try again over hours; a receiver's
/// refusal comes back as an undelivered <see cref="CallbackOutcome"/>. Either way the job's own outcome stays as it is.
/// </summary>
public sealed class DeliverCallback(CallbackSender sender) : TaskActivity<CallbackDelivery, CallbackOutcome>
{
    public override Task<CallbackOutcome> RunAsync(TaskActivityContext context, CallbackDelivery input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return sender.SendAsync(input.Url, input.EventId, input.Status, CancellationToken.None);
    }
}
