using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Http;
using VeoFunctions.Jobs;
using VeoFunctions.Manifests;
using VeoFunctions.Storage;

namespace VeoFunctions.Functions;

/// <summary>
/// <c>POST /api/manifests/run?name={batch}/{name}.json</c>: runs a manifest of the jobs container again, without
/// re-uploading it — for an event that was lost or dead-lettered, or an intake that gave up. The same door as the
/// upload's event, so it is idempotent by the same rule: entries already started keep their jobs and are not paid for
/// again, and only entries that never started are started now. With <c>&amp;failed=true</c> it also starts a new attempt
/// of each entry whose job ended failed, or cancelled without its video (once, however many such redrives arrive), up to
/// <see cref="ManifestIntake.MaxAttempts"/> jobs an entry; the failed entries it did not start again are listed.
/// </summary>
public sealed partial class RunManifest(ManifestIntake intake, IOptions<StorageOptions> storage, ILogger<RunManifest> logger)
{
    [Function(nameof(RunManifest))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "manifests/run")] HttpRequest request,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? name = request.Query["name"];
        if (name is null || !ManifestFiles.IsManifest(name))
        {
            return Problems.BadRequest("Name the manifest in the jobs container: ?name={batch}/{name}.json (not one of the app's .result.json or .error.json files).");
        }

        string? failed = request.Query["failed"];
        if (failed is not (null or "true" or "false"))
        {
            return Problems.BadRequest("failed is true (also start a new attempt of each entry whose job failed or was cancelled) or false.");
        }

        ManifestIntakeResult outcome;
        try
        {
            outcome = await intake.AcceptAsync(durable, storage.Value.JobsContainer, name, retryFailed: failed == "true", cancellationToken).ConfigureAwait(false);
        }
        catch (ManifestIncompleteException ex)
        {
            // Some entries could not be started (each gave back its claim and reservation): running it again starts them.
            // The causes (storage's and the task hub's own text) go to the log, not to the caller.
            Log.Incomplete(logger, ex, name, ex.Failed, ex.Total);
            return Problems.Unavailable(ProblemKind.ManifestIncomplete, "Some of the manifest's jobs could not be started.",
                $"{ex.Failed} of {ex.Total} job(s) could not be started; the others were. Run the manifest again to start them.", TimeSpan.FromSeconds(30));
        }
        catch (Money.BudgetBusyException)
        {
            // The app's own words, not the exception's: an answer carries no exception text.
            return Problems.Unavailable(ProblemKind.BudgetBusy, "The daily budget is busy.",
                "Too many jobs are starting at once; nothing more was reserved. Run the manifest again in a few seconds.", Money.BudgetBusyException.RetryAfter);
        }

        return outcome.Outcome switch
        {
            ManifestIntakeOutcome.Ignored => Problems.NotFound($"There is no manifest {name} in the jobs container."),
            ManifestIntakeOutcome.Rejected => Problems.BadRequest($"The manifest cannot start; its problems are listed in {ManifestFiles.ErrorName(name)}. Nothing was started."),
            _ => new OkObjectResult(new
            {
                manifest = name,
                outcome = "started",
                resultFile = ManifestFiles.ResultName(name),
                // Bounded like every list the doors answer with; the log (6009) has each of them.
                notRetried = outcome.NotRetried.Take(Errors.MaxListed).Select(n => new { index = n.Index, id = n.Id, jobId = n.JobId, reason = n.Reason }),
                notRetriedCount = outcome.NotRetried.Count,
            }),
        };
    }

    private static partial class Log
    {
        [LoggerMessage(6008, LogLevel.Error, "Manifest {Manifest} run: {Failed} of {Total} job(s) could not be started; running it again starts them")]
        public static partial void Incomplete(ILogger logger, Exception exception, string manifest, int failed, int total);
    }
}
