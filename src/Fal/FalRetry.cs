using System.Net;

namespace Fal;

/// <summary>
/// Retries as fal's official JS client does: a few tries, exponential delay from a base, ±25 % jitter,
/// capped, honouring Retry-After. What is retryable is the caller's decision (submit is stricter).
/// </summary>
internal sealed class FalRetry(FalOptions options, TimeProvider time)
{
    /// <summary>The statuses fal's clients retry for every call: rate limit and gateway errors.</summary>
    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>Network-level failures and timeouts of one attempt (not the caller's own cancellation).</summary>
    public static bool IsTransportFailure(Exception ex, CancellationToken callerToken) =>
        ex is HttpRequestException or IOException || (ex is TaskCanceledException && !callerToken.IsCancellationRequested);

    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> attempt, Func<Exception, bool> isRetryable, CancellationToken cancellationToken)
    {
        for (int tryNumber = 1; ; tryNumber++)
        {
            try
            {
                return await attempt(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (tryNumber < options.MaxAttempts && !cancellationToken.IsCancellationRequested && isRetryable(ex))
            {
                await Task.Delay(DelayBefore(tryNumber, (ex as FalApiException)?.RetryAfter), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The delay before retry number <paramref name="tryNumber"/> (1-based).</summary>
    public TimeSpan DelayBefore(int tryNumber, TimeSpan? retryAfter = null)
    {
        double exponential = options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, tryNumber - 1);
        double jittered = exponential * (0.75 + (Random.Shared.NextDouble() * 0.5));
        double wanted = Math.Max(jittered, retryAfter?.TotalMilliseconds ?? 0);
        return TimeSpan.FromMilliseconds(Math.Min(wanted, options.RetryMaxDelay.TotalMilliseconds));
    }
}
