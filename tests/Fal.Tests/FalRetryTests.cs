using System.Net;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Testing;

namespace Fal.Tests;

public sealed class FalRetryTests
{
    private static FalOptions Options(int baseMs = 100, int maxMs = 60_000, int attempts = 3) => new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(baseMs),
        RetryMaxDelay = TimeSpan.FromMilliseconds(maxMs),
        MaxAttempts = attempts,
    };

    private static FalApiException RateLimited(TimeSpan? retryAfter = null) =>
        new(HttpStatusCode.TooManyRequests, FalErrorDetail.Empty, null, null, retryAfter);

    // Fails every try with what `fail` makes, retrying everything; returns the delays asked for.
    private static async Task<IReadOnlyList<TimeSpan>> DelaysWhenAlwaysFailingAsync(FalOptions options, Func<Exception> fail)
    {
        var time = new RecordingTimeProvider();
        await Assert.ThrowsAnyAsync<Exception>(() => new FalRetry(options, time).ExecuteAsync<int>(_ => throw fail(), _ => true, CancellationToken.None));
        return time.Delays.ToList();
    }

    [Fact]
    public async Task Execute_TriesMaxAttemptsTimes_DoublingTheDelay_ThenThrowsTheLastError()
    {
        var time = new RecordingTimeProvider();
        var retry = new FalRetry(Options(baseMs: 100, maxMs: 1000, attempts: 4), time);
        int calls = 0;

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => retry.ExecuteAsync<int>(_ => throw new HttpRequestException("try " + ++calls), _ => true, CancellationToken.None));

        Assert.Equal("try 4", ex.Message);
        var delays = time.Delays.ToList();
        Assert.Equal(3, delays.Count);
        Assert.InRange(delays[0].TotalMilliseconds, 75, 125);
        Assert.InRange(delays[1].TotalMilliseconds, 150, 250);
        Assert.InRange(delays[2].TotalMilliseconds, 300, 500);
    }

    [Fact]
    public async Task Execute_ReturnsTheFirstSuccess_AfterRetryableFailures()
    {
        var retry = new FalRetry(Options(attempts: 3), new RecordingTimeProvider());
        int calls = 0;

        int result = await retry.ExecuteAsync(_ => ++calls < 3 ? throw new IOException("reset") : Task.FromResult(42), _ => true, CancellationToken.None);

        Assert.Equal(42, result);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Execute_JittersEachDelayByAtMostAQuarter()
    {
        var delays = new List<double>();
        for (int i = 0; i < 50; i++)
        {
            delays.AddRange((await DelaysWhenAlwaysFailingAsync(Options(baseMs: 1000, attempts: 2), () => new IOException())).Select(d => d.TotalMilliseconds));
        }

        Assert.All(delays, d => Assert.InRange(d, 750, 1250));
        Assert.True(delays.Distinct().Count() > 1, "jitter should vary the delay");
    }

    [Fact]
    public async Task Execute_CapsEveryDelayAtRetryMaxDelay()
    {
        var delays = await DelaysWhenAlwaysFailingAsync(Options(baseMs: 1000, maxMs: 3000, attempts: 6), () => new IOException());

        Assert.Equal(5, delays.Count);
        Assert.Equal(TimeSpan.FromSeconds(3), delays[^1]);
        Assert.All(delays, d => Assert.True(d <= TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task Execute_WaitsALongerRetryAfter_UpToTheCap()
    {
        var honoured = await DelaysWhenAlwaysFailingAsync(Options(baseMs: 10, maxMs: 5000, attempts: 2), () => RateLimited(TimeSpan.FromSeconds(2)));
        var capped = await DelaysWhenAlwaysFailingAsync(Options(baseMs: 10, maxMs: 5000, attempts: 2), () => RateLimited(TimeSpan.FromMinutes(5)));

        // A Retry-After in the past falls back to the jittered backoff. Read from the delay itself: under the full suite's
        // load the timer Polly armed was seen due below the delay asked for (7 ms against 7.5-12.5), twice in a row.
        var past = new FalRetry(Options(baseMs: 10, maxMs: 5000, attempts: 2), TimeProvider.System).DelayBefore(1, TimeSpan.FromSeconds(-3));

        Assert.Equal(TimeSpan.FromSeconds(2), Assert.Single(honoured));
        Assert.Equal(TimeSpan.FromSeconds(5), Assert.Single(capped));
        Assert.InRange(past.TotalMilliseconds, 7.5, 12.5);
    }

    [Fact]
    public async Task Execute_DoesNotRetry_WhenThePredicateRefuses()
    {
        var time = new RecordingTimeProvider();
        var retry = new FalRetry(Options(attempts: 3), time);
        var seen = new List<Exception>();
        int calls = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() => retry.ExecuteAsync<int>(_ => { calls++; throw new InvalidOperationException(); }, ex => { seen.Add(ex); return false; }, CancellationToken.None));

        Assert.Equal(1, calls);
        Assert.IsType<InvalidOperationException>(Assert.Single(seen));
        Assert.Empty(time.Delays);
    }

    [Fact]
    public async Task Execute_TriesOnce_WhenMaxAttemptsIsOne()
    {
        var time = new RecordingTimeProvider();
        int calls = 0;

        await Assert.ThrowsAsync<IOException>(() => new FalRetry(Options(attempts: 1), time).ExecuteAsync<int>(_ => { calls++; throw new IOException(); }, _ => true, CancellationToken.None));

        Assert.Equal(1, calls);
        Assert.Empty(time.Delays);
    }

    [Fact]
    public async Task Execute_RetriesOnlyWhenTheTimeProviderSaysTheDelayHasPassed()
    {
        var time = new ObservedFakeTime();
        var retry = new FalRetry(Options(baseMs: 2000, maxMs: 1000, attempts: 2), time); // always exactly the 1 s cap
        int calls = 0;

        var running = retry.ExecuteAsync(_ => Interlocked.Increment(ref calls) == 1 ? throw new IOException() : Task.FromResult("done"), _ => true, CancellationToken.None);
        await Poll.UntilAsync(() => time.TimersCreated == 1);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(running.IsCompleted);
        Assert.Equal(1, Volatile.Read(ref calls));
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal("done", await running);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Execute_StopsWaiting_WhenTheCallerCancelsDuringADelay()
    {
        var time = new ObservedFakeTime();
        var retry = new FalRetry(Options(baseMs: 1000, attempts: 3), time);
        using var cts = new CancellationTokenSource();
        int calls = 0;

        var running = retry.ExecuteAsync<int>(_ => { Interlocked.Increment(ref calls); throw new IOException(); }, _ => true, cts.Token);
        await Poll.UntilAsync(() => time.TimersCreated == 1);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Execute_DoesNotRetry_OnceTheCallerHasCancelled()
    {
        var time = new RecordingTimeProvider();
        using var cts = new CancellationTokenSource();
        int calls = 0;

        await Assert.ThrowsAsync<IOException>(() => new FalRetry(Options(attempts: 3), time).ExecuteAsync<int>(_ =>
        {
            calls++;
            cts.Cancel();
            throw new IOException();
        }, _ => true, cts.Token));

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

/// <summary>Fake time that also tells when the code under test has started waiting on it.</summary>
internal sealed class ObservedFakeTime : FakeTimeProvider
{
    private int _timers;

    public int TimersCreated => Volatile.Read(ref _timers);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _timers);
        return timer;
    }
}
