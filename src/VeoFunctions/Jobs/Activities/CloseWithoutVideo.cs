using Microsoft.DurableTask;
using VeoFunctions.Money;

namespace VeoFunctions.Jobs.Activities;

/// <summary>
/// Closes a job that is ending without its video on its delivery record, or returns the successful delivery that
/// reached the record first (with the request it names), which the job then archives.
/// </summary>
public sealed class CloseWithoutVideo(DeliveryLedger deliveries, SubmissionLedger ledger) : TaskActivity<ArchivePlan, LateDelivery?>
{
    public override async Task<LateDelivery?> RunAsync(TaskActivityContext context, ArchivePlan input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (await deliveries.CloseWithoutVideoAsync(input, CancellationToken.None).ConfigureAwait(false) is not { } delivered)
        {
            return null;
        }

        // The door records a delivery only for the request on the ledger, so the ledger names it.
        var fal = await ledger.FindAsync(input.JobId, CancellationToken.None).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Job {input.JobId} has a delivery on record but no fal request.");
        return new LateDelivery(fal, delivered);
    }
}
