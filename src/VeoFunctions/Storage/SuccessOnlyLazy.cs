namespace VeoFunctions.Storage;

/// <summary>
/// An asynchronous lazy value that keeps only a success. Concurrent first callers share one attempt; a failed
/// or cancelled attempt is dropped, so the next caller tries again. <c>Lazy&lt;Task&gt;</c> (and the threading
/// libraries' AsyncLazy) keep a faulted task for the life of the process, which turns one 403 while role
/// assignments propagate after a deploy into an app that fails until it is restarted.
/// </summary>
/// <remarks>Written here because it is a dozen lines; the one library that offers it (Nito.AsyncEx) is unmaintained.</remarks>
internal sealed class SuccessOnlyLazy<T>(Func<Task<T>> create)
{
    private readonly Lock _gate = new();
    private Task<T>? _attempt;

    /// <summary>The value: the kept success, the attempt under way, or a new attempt if the last one failed.</summary>
    public Task<T> GetAsync()
    {
        var attempt = Volatile.Read(ref _attempt);
        if (attempt is { IsCompletedSuccessfully: true })
        {
            return attempt;
        }

        lock (_gate)
        {
            if (_attempt is null || _attempt.IsFaulted || _attempt.IsCanceled)
            {
                // Started on the pool so no caller's synchronous part runs under the lock.
                _attempt = Task.Run(create);
            }

            return _attempt;
        }
    }
}
