using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// fal's status API is down and a status check is working through its durable retries when fal's webhook comes: the
/// webhook ends the wait at once (version 2.1 races the check against it) and the job archives while the check is still
/// retrying. fal runs on a clock the test moves, so the webhook comes after the first failed check because the test says so.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class WebhookDuringStatusOutageTests(Azurite azurite)
{
    internal static readonly TimeSpan Generation = TimeSpan.FromMinutes(1);

    /// <summary>Status checks from the start, each step tried <paramref name="attempts"/> times (one HTTP call each) with retries from <paramref name="firstRetry"/>.</summary>
    internal static Dictionary<string, string?> StatusChecksRetrying(int attempts, string firstRetry) => new()
    {
        ["Jobs:FirstStatusCheck"] = "00:00:00.300",
        ["Jobs:MaxActivityAttempts"] = attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Jobs:FirstRetryInterval"] = firstRetry,
        ["Fal:MaxAttempts"] = "1",
    };

    [Fact]
    public async Task AWebhookDuringAStatusOutage_EndsTheWaitAtOnce_WhileTheStatusStepStillRetries()
    {
        // Six tries of the status step take over a minute of retry timers (2 s doubling); the archive needs none of them.
        const int attempts = 6;
        var clock = PipelineProbes.Clock();
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            PipelineProbes.OnClock(clock, Generation, FaultRule.CallHttpError(RequestKind.Status, 503, count: null)),
            StatusChecksRetrying(attempts, "00:00:02"));

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A harbour at night"));
        await Poll.UntilAsync(() => pipeline.Fal.State.GetCount(RequestKind.Status) >= 1, TimeSpan.FromSeconds(30), "the job's first status check");
        clock.Advance(Generation); // fal finishes and delivers its webhook
        var done = await pipeline.WaitForJobAsync(jobId, TimeSpan.FromMinutes(3));

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        Assert.Single(await pipeline.VideoBlobsAsync());
        Assert.True(pipeline.Fal.State.GetCount(RequestKind.Status) < attempts,
            $"the job archived only after the status step had used all {attempts} tries ({pipeline.Fal.State.GetCount(RequestKind.Status)} status calls)");
        Assert.Equal(0, pipeline.Fal.State.GetCount(RequestKind.Result)); // the webhook's video, not a result read after the checks
    }
}
