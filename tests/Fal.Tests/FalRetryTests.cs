namespace Fal.Tests;

public sealed class FalRetryTests
{
    private static FalRetry Retry(int baseMs, int maxMs, int attempts = 3) => new(
        new FalOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(baseMs), RetryMaxDelay = TimeSpan.FromMilliseconds(maxMs), MaxAttempts = attempts },
        TimeProvider.System);

    [Theory]
    [InlineData(1, 750, 1250)]
    [InlineData(2, 1500, 2500)]
    [InlineData(3, 3000, 5000)]
    public void DelayBefore_DoublesFromTheBaseWithQuarterJitter(int tryNumber, double minMs, double maxMs)
    {
        var retry = Retry(1000, 60_000);

        var delays = Enumerable.Range(0, 200).Select(_ => retry.DelayBefore(tryNumber).TotalMilliseconds).ToList();

        Assert.All(delays, d => Assert.InRange(d, minMs, maxMs));
        Assert.True(delays.Distinct().Count() > 1, "jitter should vary the delay");
    }

    [Fact]
    public void DelayBefore_IsCappedAtRetryMaxDelay()
    {
        Assert.Equal(TimeSpan.FromSeconds(3), Retry(1000, 3000).DelayBefore(5));
    }

    [Fact]
    public void DelayBefore_HonoursALongerRetryAfter_UpToTheCap()
    {
        var retry = Retry(10, 5000);

        Assert.Equal(TimeSpan.FromSeconds(2), retry.DelayBefore(1, TimeSpan.FromSeconds(2)));
        Assert.Equal(TimeSpan.FromSeconds(5), retry.DelayBefore(1, TimeSpan.FromMinutes(5)));
        Assert.InRange(retry.DelayBefore(1, TimeSpan.FromSeconds(-3)).TotalMilliseconds, 7.5, 12.5);
    }

    [Fact]
    public async Task Execute_TriesMaxAttemptsTimes_ThenThrowsTheLastError()
    {
        var time = new RecordingTimeProvider();
        var retry = new FalRetry(new FalOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(100), RetryMaxDelay = TimeSpan.FromSeconds(1), MaxAttempts = 4 }, time);
        int calls = 0;

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => retry.ExecuteAsync<int>(_ => throw new HttpRequestException("try " + ++calls), _ => true, CancellationToken.None));

        Assert.Equal("try 4", ex.Message);
        Assert.Equal(3, time.Delays.Count);
        var delays = time.Delays.ToList();
        Assert.InRange(delays[0].TotalMilliseconds, 75, 125);
        Assert.InRange(delays[1].TotalMilliseconds, 150, 250);
        Assert.InRange(delays[2].TotalMilliseconds, 300, 500);
    }

    [Fact]
    public async Task Execute_DoesNotRetry_WhenTheErrorIsNotRetryable()
    {
        var time = new RecordingTimeProvider();
        var retry = new FalRetry(new FalOptions { MaxAttempts = 3 }, time);
        int calls = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() => retry.ExecuteAsync<int>(_ => { calls++; throw new InvalidOperationException(); }, _ => false, CancellationToken.None));

        Assert.Equal(1, calls);
        Assert.Empty(time.Delays);
    }

    [Fact]
    public void TransportFailure_ExcludesTheCallersOwnCancellation()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.True(FalRetry.IsTransportFailure(new HttpRequestException(), CancellationToken.None));
        Assert.True(FalRetry.IsTransportFailure(new IOException(), CancellationToken.None));
        Assert.True(FalRetry.IsTransportFailure(new TaskCanceledException(), CancellationToken.None));
        Assert.False(FalRetry.IsTransportFailure(new TaskCanceledException(), cancelled.Token));
        Assert.False(FalRetry.IsTransportFailure(new InvalidOperationException(), CancellationToken.None));
    }
}
