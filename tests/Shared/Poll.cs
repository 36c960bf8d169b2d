using System.Globalization;

namespace VeoFunctions.Testing;

/// <summary>
/// How long a test waits for a condition before it calls itself hung. Never a measure of speed: each bound is many times
/// what the wait takes on a busy 2-core machine (another process holding a core, the whole suite running beside it), so
/// a verdict never depends on how busy the box is. <c>VEO_TEST_PATIENCE</c> multiplies them all (e.g. 3 on a machine
/// slower still).
/// </summary>
internal static class Patience
{
    /// <summary>Something another thread or process makes true (a delivery recorded, a file written, a step taken).</summary>
    public static TimeSpan Condition => Scaled(2);

    /// <summary>A job from its start to its end (or to the state a test waits for) on a test engine.</summary>
    public static TimeSpan Job => Scaled(5);

    /// <summary>A helper process or server to start and answer (a worker, a sidecar, a host).</summary>
    public static TimeSpan Start => Scaled(3);

    private static TimeSpan Scaled(double minutes) =>
        TimeSpan.FromMinutes(minutes * (double.TryParse(Environment.GetEnvironmentVariable("VEO_TEST_PATIENCE"), NumberStyles.Float, CultureInfo.InvariantCulture, out double factor) && factor > 0 ? factor : 1));
}

/// <summary>Waits for something another thread or process makes true. The timeout only bounds a hung test.</summary>
internal static class Poll
{
    /// <param name="timeout">Defaults to <see cref="Patience.Condition"/>.</param>
    /// <param name="what">What is awaited, for the timeout's message.</param>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        var limit = timeout ?? Patience.Condition;
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting for {what ?? "the awaited condition"} after {limit}.");
            }

            await Task.Delay(15);
        }
    }

    /// <summary>
    /// Waits until a count of things done reaches <paramref name="target"/>. It gives up only when the count has not
    /// moved for <paramref name="stall"/>: a busy machine makes slow progress, a hung test makes none.
    /// </summary>
    /// <param name="stall">Defaults to <see cref="Patience.Job"/>.</param>
    public static async Task UntilCountAsync(Func<Task<int>> count, int target, TimeSpan? stall = null, TimeSpan? interval = null, string? what = null)
    {
        var limit = stall ?? Patience.Job;
        int last = -1;
        var deadline = DateTime.UtcNow + limit;
        for (int now = await count(); now < target; now = await count())
        {
            if (now > last)
            {
                (last, deadline) = (now, DateTime.UtcNow + limit);
            }
            else if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting for {what ?? "the awaited count"}: {now} of {target}, and none more for {limit}.");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50));
        }
    }

    /// <summary>The same, for a condition that must ask something (storage, a service) each time.</summary>
    /// <param name="timeout">Defaults to <see cref="Patience.Condition"/>.</param>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, TimeSpan? interval = null, string? what = null)
    {
        var limit = timeout ?? Patience.Condition;
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting for {what ?? "the awaited condition"} after {limit}.");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50));
        }
    }
}
