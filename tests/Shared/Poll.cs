namespace VeoFunctions.Testing;

/// <summary>Waits for something another thread or process makes true. The timeout only bounds a hung test.</summary>
internal static class Poll
{
    /// <param name="what">What is awaited, for the timeout's message.</param>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(what is null ? "The awaited condition did not become true in time." : $"Gave up waiting for {what} after {timeout ?? TimeSpan.FromSeconds(10)}.");
            }

            await Task.Delay(15);
        }
    }

    /// <summary>The same, for a condition that must ask something (storage, a service) each time.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The awaited condition did not become true in time.");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50));
        }
    }
}
