using Microsoft.DurableTask;
using VeoFunctions.Money;
using VeoFunctions.Storage;

namespace VeoFunctions.Jobs.Activities;

/// <summary>Reads the fal request on record for a job (read-only: never submits).</summary>
public sealed class FindFalRequest(SubmissionLedger ledger) : TaskActivity<string, FalJob?>
{
    public override Task<FalJob?> RunAsync(TaskActivityContext context, string input) =>
        ledger.FindAsync(input, CancellationToken.None);
}
