namespace VeoFunctions.Archive;

/// <summary>
/// Gives up on a step that makes no progress: one that has not completed within the idle timeout fails with a
/// <see cref="TimeoutException"/>, a transient failure the durable retry tries again (only <c>JobFailedException</c> is final).
/// </summary>
internal static class Stalls
{
    public static async Task<T> WithinAsync<T>(Func<CancellationToken, Task<T>> step, TimeSpan idleTimeout, TimeProvider time, string what, CancellationToken cancellationToken)
    {
        using var idle = new CancellationTokenSource(idleTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
        try
        {
            return await step(linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested
            && ex is OperationCanceledException or IOException or HttpRequestException)
        {
            throw new TimeoutException(FormattableString.Invariant($"{what} stalled: nothing arrived for {idleTimeout.TotalSeconds:0.###} s."), ex);
        }
    }
}
