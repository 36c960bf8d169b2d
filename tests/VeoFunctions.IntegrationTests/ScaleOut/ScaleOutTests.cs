using System.Globalization;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Testing;
using Xunit.Abstractions;

namespace VeoFunctions.IntegrationTests.ScaleOut;

/// <summary>
/// The app scaled out on the production durable backend: three instances (each its own DurableTask.AzureStorage
/// sidecar, worker and HTTP doors) on one task hub with host.json's 4 partitions and 1 s queue polling, behind a
/// round-robin front that fal's webhooks go through too. One instance is SIGKILLed mid-burst and brought back; see
/// <see cref="ScaleOutRig"/>, <see cref="ScaleOutBurst"/>.
/// </summary>
[Collection(ScaleOutCollection.Name)]
public sealed class ScaleOutTests(Azurite azurite, ITestOutputHelper output)
{
    /// <summary>
    /// CI's burst: big enough that the killed instance holds jobs and partitions when it dies and that webhooks land on
    /// instances that do not own their job, small enough that a busy 2-core machine holds it with room to spare. The
    /// 500- and 1,000-job bursts are the benchmark's (bench: scaleout); VEO_SCALEOUT_JOBS sets another size here.
    /// </summary>
    private const int CiJobs = 36;

    private static readonly TimeSpan Generation = TimeSpan.FromSeconds(10);
    private static readonly string Image = TestImages.DataUri(TestImages.Png(16, 16));

    private static int Jobs => int.TryParse(Environment.GetEnvironmentVariable("VEO_SCALEOUT_JOBS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : CiJobs;

    private static object Body() => new
    {
        prompt = "A chimpanzee in overalls plays with butterflies",
        image_urls = new[] { Image },
        aspect_ratio = "16:9",
        resolution = "720p",
        generate_audio = false,
    };

    [Fact]
    public async Task Burst_OverThreeInstances_OneKilledMidBurstAndBroughtBack_EveryJobArchivedOnceAndPartitionsRebalanced()
    {
        await using var rig = await ScaleOutRig.StartAsync(azurite, output, ScaleOutOptions.Burst(Generation));

        var burst = await ScaleOutBurst.RunAsync(rig, Jobs, Body, killOne: true, stall: Patience.Job);

        await ScaleOutChecks.AssertEveryJobArchivedOnceAsync(rig, burst);
        var killed = burst.Killed!;
        Assert.NotEmpty(killed.Partitions); // it held work when it died
        Assert.Contains(killed.Rebalanced, l => l.Owner == killed.Instance.WorkerId); // and holds its share again
        var refused = ScaleOutChecks.WebhooksAnsweredWith5xx(rig).Where(r => r.Instance != killed.Instance.Index || r.At < killed.KilledAt || r.At > killed.RestartedAt).ToList();
        Assert.True(refused.Count == 0, $"{refused.Count} webhook deliveries were answered 5xx by a live instance: " +
            string.Join("; ", refused.Take(5).Select(r => $"{r.Status} from instance {r.Instance} for {r.JobId} at {r.At:HH:mm:ss.fff}")));
        var hooks = ScaleOutChecks.Webhooks(rig, burst);
        Assert.True(hooks.OnNonOwner > 0, "No webhook landed on an instance that did not hold the job's partition: the scenario did not happen.");

        rig.Log($"{burst.Jobs} jobs, {Generation.TotalSeconds:0} s generation: wall {(burst.LastEnded - burst.FirstPost).TotalSeconds:F1} s; " +
            $"{killed.Instance} killed after {killed.WebhooksBeforeKill} webhooks, its {killed.Partitions.Count} partition(s) claimed by others " +
            $"{killed.TakeoverByTable.TotalSeconds:F1} s after the kill (seen at {killed.TakeoverObserved.TotalSeconds:F1} s); rebalanced " +
            $"{killed.RebalanceAfterRestart.TotalSeconds:F1} s after its restart began; webhooks per instance " +
            $"{string.Join(", ", hooks.PerInstance.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}, {hooks.OnNonOwner} of {hooks.Total} on a non-owner; " +
            $"{ScaleOutChecks.WebhooksAnsweredWith5xx(rig).Count} deliveries answered 5xx by the dying instance (fal retried them)");
    }
}
