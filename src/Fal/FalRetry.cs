using System.Net;
using Polly;
using Polly.Retry;

namespace Fal;

/// <summary>
/// Retries as fal's official JS client does: <see cref="FalOptions.MaxAttempts"/> tries in all, exponential delay from
/// <see cref="FalOptions.RetryBaseDelay"/> with ±25 % jitter, capped at <see cref="FalOptions.RetryMaxDelay"/>, a longer
/// Retry-After honoured up to the same cap. What is retryable is the caller's decision (submit is stricter than reads).
/// Polly runs the attempts and waits on the given <see cref="TimeProvider"/>; the delay itself is computed here because
/// Polly's jitter for exponential backoff is decorrelated, not fal's ±25 %, and it does not read Retry-After.
/// </summary>
internal sealed class FalRetry
{
    // Each call brings its own predicate; the pipeline is built once and reads it from the call's context.
    private static readonly ResiliencePropertyKey<Func<Exception, bool>> RetryableKey = new("fal.retryable");

    private readonly FalOptions _options;
    private readonly ResiliencePipeline _pipeline;

    public FalRetry(FalOptions options, TimeProvider time)
    {
        _options = options;

        // Polly requires at least one retry; a single attempt is simply no retry strategy.
        _pipeline = options.MaxAttempts <= 1
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder { TimeProvider = time }
                .AddRetry(new RetryStrategyOptions
                {
                    MaxRetryAttempts = options.MaxAttempts - 1,
                    ShouldHandle = args => ValueTask.FromResult(
                        args.Outcome.Exception is { } ex
                        && !args.Context.CancellationToken.IsCancellationRequested
                        && args.Context.Properties.GetValue(RetryableKey, static _ => false)(ex)),
                    DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                        DelayBefore(args.AttemptNumber + 1, (args.Outcome.Exception as FalApiException)?.RetryAfter)),
                })
                .Build();
    }

    /// <summary>The statuses fal's clients retry for every call: rate limit and gateway errors.</summary>
    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>Network-level failures and timeouts of one attempt (not the caller's own cancellation).</summary>
    public static bool IsTransportFailure(Exception ex, CancellationToken callerToken) =>
        ex is HttpRequestException or IOException || (ex is TaskCanceledException && !callerToken.IsCancellationRequested);

    /// <summary>
    /// What a read (or any call that is safe to repeat) retries: fal's transient answers, network failures, and,
    /// where <paramref name="alsoInternalError"/>, a 500 that fal does not call final.
    /// </summary>
    public static bool IsRetryableRead(Exception ex, bool alsoInternalError, CancellationToken callerToken) => ex switch
    {
        FalApiException api => api.IsTransient || (alsoInternalError && api.StatusCode == HttpStatusCode.InternalServerError && api.RetryableHint != false),
        _ => IsTransportFailure(ex, callerToken),
    };

    /// <summary>Runs <paramref name="attempt"/> until it succeeds, fails in a way <paramref name="isRetryable"/> refuses, or the tries run out.</summary>
    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> attempt, Func<Exception, bool> isRetryable, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RetryableKey, isRetryable);
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (ctx, attempt) => await attempt(ctx.CancellationToken).ConfigureAwait(false), context, attempt).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>The delay before retry number <paramref name="tryNumber"/> (1-based).</summary>
    internal TimeSpan DelayBefore(int tryNumber, TimeSpan? retryAfter = null)
    {
        double exponential = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, tryNumber - 1);
        double jittered = exponential * (0.75 + (Random.Shared.NextDouble() * 0.5));
        double wanted = Math.Max(jittered, retryAfter?.TotalMilliseconds ?? 0);
        return TimeSpan.FromTicks((long)(Math.Min(wanted, _options.RetryMaxDelay.TotalMilliseconds) * TimeSpan.TicksPerMillisecond));
    }
}
