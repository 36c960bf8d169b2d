using System.Net;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests.ScaleOut;

/// <summary>What happened to the instance killed mid-burst, from the partition table's point of view.</summary>
/// <param name="Partitions">The control queues it held when it died.</param>
/// <param name="WebhooksBeforeKill">Successful webhook deliveries when it was killed (of all the burst's jobs).</param>
/// <param name="TakenOverAt">When the rig saw all of them settled on live instances (read every 200 ms).</param>
/// <param name="ClaimedAt">The latest <c>OwnedSince</c> the new owners wrote for them: the takeover by the table's own clock.</param>
/// <param name="RebalancedAt">When, after its restart, the partitions were even again over every instance, itself included.</param>
public sealed record KilledInstance(AppInstance Instance, IReadOnlyList<string> Partitions, int WebhooksBeforeKill, DateTimeOffset KilledAt,
    DateTimeOffset TakenOverAt, DateTimeOffset ClaimedAt, DateTimeOffset RestartedAt, DateTimeOffset RebalancedAt, IReadOnlyList<PartitionLease> Rebalanced)
{
    public TimeSpan TakeoverObserved => TakenOverAt - KilledAt;

    public TimeSpan TakeoverByTable => ClaimedAt - KilledAt;

    public TimeSpan RebalanceAfterRestart => RebalancedAt - RestartedAt;
}

/// <summary>A POST of the burst: its answer, and when it came.</summary>
public sealed record BurstPost(HttpStatusCode Status, string Body, DateTimeOffset At)
{
    public string? JobId => Status == HttpStatusCode.Accepted ? JsonDocument.Parse(Body).RootElement.GetProperty("jobId").GetString() : null;
}

/// <summary>The burst as it ran.</summary>
public sealed record BurstOutcome(int Jobs, DateTimeOffset FirstPost, IReadOnlyList<BurstPost> Posts, KilledInstance? Killed,
    IReadOnlyList<OrchestrationMetadata> Ended, PartitionTimeline Timeline)
{
    public IReadOnlyList<string> JobIds { get; } = Posts.Select(p => p.JobId).OfType<string>().ToList();

    /// <summary>When the last POST was answered 202.</summary>
    public DateTimeOffset LastAccepted => Posts.Where(p => p.Status == HttpStatusCode.Accepted).Select(p => p.At).DefaultIfEmpty(FirstPost).Max();

    /// <summary>When the last job was completed (its orchestration's last update).</summary>
    public DateTimeOffset LastEnded => Ended.Select(e => e.LastUpdatedAt).DefaultIfEmpty(FirstPost).Max();
}

/// <summary>
/// The scale-out scenario: a burst of jobs POSTed at once to the app's public address, spread over the instances; with
/// <c>killOne</c>, once a third of fal's webhooks are in, the instance holding the most partitions is SIGKILLed, its
/// partitions are taken over by the others, it is started again and the partitions are rebalanced; then every job is
/// waited for. Nothing here asserts: <see cref="ScaleOutChecks"/> does.
/// </summary>
public static class ScaleOutBurst
{
    public static async Task<BurstOutcome> RunAsync(ScaleOutRig rig, int jobs, Func<object> body, bool killOne, TimeSpan stall)
    {
        ArgumentNullException.ThrowIfNull(rig);
        ArgumentNullException.ThrowIfNull(body);
        var timeline = PartitionTimeline.Start(rig.Partitions);
        try
        {
            var (firstPost, posts) = await PostAllAsync(rig, jobs, body);
            rig.Log($"{posts.Count(p => p.Status == HttpStatusCode.Accepted)} of {jobs} POSTs accepted in {(posts.Max(p => p.At) - firstPost).TotalSeconds:F1} s" +
                string.Concat(posts.Where(p => p.Status != HttpStatusCode.Accepted).GroupBy(p => (int)p.Status).Select(g => $"; {g.Count()} answered {g.Key}")) +
                string.Concat(rig.Front.Served.Where(r => r.Error is not null).GroupBy(r => (r.Instance, r.Error)).Select(g => $"; the front could not reach instance {g.Key.Instance} x{g.Count()}: {g.Key.Error}")));

            var killed = killOne ? await KillAndBringBackAsync(rig, jobs) : null;
            var ids = posts.Select(p => p.JobId).OfType<string>().ToList();
            var ended = await rig.WaitForJobsAsync(ids, stall);
            rig.Log($"all {ended.Count} jobs ended");
            return new BurstOutcome(jobs, firstPost, posts, killed, ended, timeline);
        }
        finally
        {
            await timeline.DisposeAsync(); // stops reading; what it read stays
        }
    }

    /// <summary>POSTs <paramref name="jobs"/> jobs at once to the app's public address; returns when the first was sent and every answer.</summary>
    public static async Task<(DateTimeOffset FirstPost, IReadOnlyList<BurstPost> Posts)> PostAllAsync(ScaleOutRig rig, int jobs, Func<object> body)
    {
        ArgumentNullException.ThrowIfNull(rig);
        ArgumentNullException.ThrowIfNull(body);
        var firstPost = DateTimeOffset.UtcNow;
        var posts = await Task.WhenAll(Enumerable.Range(0, jobs).Select(async _ =>
        {
            using var response = await rig.PostJobAsync(body());
            return new BurstPost(response.StatusCode, await response.Content.ReadAsStringAsync(), DateTimeOffset.UtcNow);
        }));
        return (firstPost, posts);
    }

    private static async Task<KilledInstance> KillAndBringBackAsync(ScaleOutRig rig, int jobs)
    {
        // Mid-burst: a third of the videos are ready and being archived, the rest still generating.
        await Poll.UntilCountAsync(() => Task.FromResult(rig.Fal.State.WebhookDeliveries.Count(d => d.Succeeded)), jobs / 3, what: "a third of fal's webhooks");
        var leases = await rig.Partitions.ReadAsync();
        var victim = rig.Instances.Where(i => i.IsUp).OrderByDescending(i => leases.Count(l => l.Owner == i.WorkerId)).ThenBy(i => i.Index).First();
        var held = leases.Where(l => l.Owner == victim.WorkerId).Select(l => l.Partition).ToList();
        int delivered = rig.Fal.State.WebhookDeliveries.Count(d => d.Succeeded);
        var killedAt = DateTimeOffset.UtcNow;
        await rig.KillAsync(victim);
        rig.Log($"{victim} held {string.Join(", ", held)}; {delivered} of {jobs} webhooks delivered");

        // Its leases are not released: they expire (LeaseInterval, 30 s after its last renewal) and live instances claim them.
        var survivors = rig.LiveWorkers;
        var taken = await rig.WaitForPartitionsAsync(
            now => held.All(p => now.FirstOrDefault(l => l.Partition == p) is { IsSettled: true } lease && survivors.Contains(lease.Owner!)),
            $"{victim}'s partitions taken over", Patience.Job);
        var takenOverAt = DateTimeOffset.UtcNow;
        var claimedAt = taken.Where(l => held.Contains(l.Partition)).Max(l => l.OwnedSince) ?? takenOverAt;
        rig.Log($"takeover seen after {(takenOverAt - killedAt).TotalSeconds:F1} s (claimed {(claimedAt - killedAt).TotalSeconds:F1} s after the kill): {PartitionTable.Describe(taken)}");

        var restartedAt = DateTimeOffset.UtcNow;
        await rig.RestartAsync(victim);
        var rebalanced = await rig.WaitForBalanceAsync(Patience.Job);
        var rebalancedAt = DateTimeOffset.UtcNow;
        rig.Log($"rebalanced {(rebalancedAt - restartedAt).TotalSeconds:F1} s after the restart began: {PartitionTable.Describe(rebalanced)}");
        return new KilledInstance(victim, held, delivered, killedAt, takenOverAt, claimedAt, restartedAt, rebalancedAt, rebalanced);
    }
}
