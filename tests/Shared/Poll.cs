namespace VeoFunctions.Testing;

/// <summary>Waits for something another thread or process makes true. The timeout only bounds a hung test.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The awaited condition did not become true in time.");
            }

            await Task.Delay(15);
        }
    }
}
