using System.Collections.Concurrent;

namespace FalEmulator;

/// <summary>
/// Live state of an emulator: options, counters, submissions, webhook deliveries, fault rules and signing keys.
/// Thread-safe. Exposed in-process as <see cref="FalEmulatorHost.State"/> and over HTTP under /_emulator.
/// </summary>
public sealed class EmulatorState : IDisposable
{
    private readonly EmulatorOptions _initialOptions;
    private readonly ConcurrentDictionary<RequestKind, long> _counts = new();
    private readonly ConcurrentDictionary<(string RequestId, RequestKind Kind), long> _countsByRequest = new();
    private readonly ConcurrentDictionary<string, FalRequest> _requests = new();
    private readonly ConcurrentQueue<WebhookDeliveryInfo> _deliveries = new();
    private long _sequence;
    private CancellationTokenSource _generation = new();
    private TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal EmulatorState(EmulatorOptions options)
    {
        Options = options;
        _initialOptions = options.Clone();
        FaultBook = new FaultBook(Now);
        Files = new FileStore(Now);
        PayloadDeletions = new IdempotencyCache(Now);
        foreach (var rule in options.Faults)
        {
            FaultBook.Add(rule.Clone());
        }
    }

    /// <summary>Live options (changes take effect for the next use).</summary>
    public EmulatorOptions Options { get; }

    internal FaultBook FaultBook { get; }
    internal FileStore Files { get; }
    internal WebhookKeyRing Keys { get; } = new();

    /// <summary>Answers of DELETE …/payloads by Idempotency-Key.</summary>
    internal IdempotencyCache PayloadDeletions { get; }

    /// <summary>The emulator clock (the live options' TimeProvider).</summary>
    internal DateTimeOffset Now() => Options.TimeProvider.GetUtcNow();

    /// <summary>Cancelled by <see cref="Reset"/> and at shutdown: stops running simulations without webhooks.</summary>
    internal CancellationToken Generation => _generation.Token;

    // ---- counters -------------------------------------------------------------------------------------------

    /// <summary>Calls of a kind so far (every call, including rejected/faulted ones).</summary>
    public long GetCount(RequestKind kind) => _counts.TryGetValue(kind, out var n) ? n : 0;

    /// <summary>Calls of a kind made for one request id (submit counts for the id it created).</summary>
    public long GetCount(string requestId, RequestKind kind) => _countsByRequest.TryGetValue((requestId, kind), out var n) ? n : 0;

    /// <summary>Snapshot of all counters by kind.</summary>
    public IReadOnlyDictionary<RequestKind, long> Counts => Enum.GetValues<RequestKind>().ToDictionary(k => k, GetCount);

    /// <summary>Snapshot of counters per request id.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<RequestKind, long>> CountsByRequest =>
        _countsByRequest.GroupBy(p => p.Key.RequestId)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<RequestKind, long>)g.ToDictionary(p => p.Key.Kind, p => p.Value));

    internal void Count(RequestKind kind) => _counts.AddOrUpdate(kind, 1, (_, n) => n + 1);

    internal void CountFor(string requestId, RequestKind kind) => _countsByRequest.AddOrUpdate((requestId, kind), 1, (_, n) => n + 1);

    // ---- requests -------------------------------------------------------------------------------------------

    /// <summary>Accepted submissions in submit order (includes those whose HTTP answer was faulted).</summary>
    public IReadOnlyList<SubmissionInfo> Submissions =>
        _requests.Values.OrderBy(r => r.Sequence).Select(r => r.ToInfo()).ToList();

    public SubmissionInfo? GetSubmission(string requestId) => _requests.TryGetValue(requestId, out var r) ? r.ToInfo() : null;

    /// <summary>Polls until the request is COMPLETED (success or error).</summary>
    public async Task<SubmissionInfo> WaitForCompletionAsync(string requestId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        while (true)
        {
            if (GetSubmission(requestId) is { Status: FalStatus.Completed } info)
            {
                return info;
            }

            await Task.Delay(20, cts.Token).ConfigureAwait(false);
        }
    }

    internal long NextSequence() => Interlocked.Increment(ref _sequence);

    internal void Add(FalRequest request) => _requests[request.Id] = request;

    internal FalRequest? Find(string requestId) => _requests.TryGetValue(requestId, out var r) ? r : null;

    /// <summary>Every accepted request, in submit order.</summary>
    internal IReadOnlyList<FalRequest> All => _requests.Values.OrderBy(r => r.Sequence).ToList();

    internal int QueuePosition(FalRequest request)
    {
        var position = 0;
        foreach (var other in _requests.Values)
        {
            if (other != request && other.Status == FalStatus.InQueue && QueueOrder(other).CompareTo(QueueOrder(request)) < 0)
            {
                position++;
            }
        }

        return position;
    }

    private static (int, long) QueueOrder(FalRequest r) => (r.LowPriority ? 1 : 0, r.Sequence);

    // ---- files --------------------------------------------------------------------------------------------

    /// <summary>Every file the CDN stored (uploads and generated videos), with lifecycle, expiry and deletion.</summary>
    public IReadOnlyList<StoredFileInfo> StoredFiles => Files.Infos();

    public StoredFileInfo? GetFile(string fileId) => Files.Info(fileId);

    // ---- webhooks -------------------------------------------------------------------------------------------

    /// <summary>Every webhook attempt made (and dropped webhooks), in order.</summary>
    public IReadOnlyList<WebhookDeliveryInfo> WebhookDeliveries => _deliveries.ToList();

    internal void Record(WebhookDeliveryInfo delivery) => _deliveries.Enqueue(delivery);

    // ---- faults ---------------------------------------------------------------------------------------------

    /// <summary>Adds a fault rule; returns its id.</summary>
    public string AddFault(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return FaultBook.Add(rule);
    }

    public bool RemoveFault(string id) => FaultBook.Remove(id);

    public void ClearFaults() => FaultBook.Clear();

    /// <summary>Active rules (copies; Count shows what is left).</summary>
    public IReadOnlyList<FaultRule> Faults => FaultBook.Snapshot();

    // ---- keys -----------------------------------------------------------------------------------------------

    /// <summary>Adds a new signing key (used from now on); optionally removes the older ones from the JWKS.</summary>
    public string RotateSigningKey(bool retireOld = false) => Keys.Rotate(retireOld);

    /// <summary>Removes a key from the JWKS (not the last one).</summary>
    public bool RetireSigningKey(string kid) => Keys.Retire(kid);

    /// <summary>Key ids in the JWKS, oldest first; the last one signs.</summary>
    public IReadOnlyList<string> SigningKeyIds => Keys.KeyIds;

    /// <summary>Raw 32-byte Ed25519 public key of a published key.</summary>
    public byte[] GetPublicKey(string kid) => Keys.PublicKey(kid);

    // ---- held requests -------------------------------------------------------------------------------------

    /// <summary>
    /// Lets every request held by a <see cref="FaultKind.Held"/> rule and submitted so far go on generating (also one
    /// still queued); requests submitted later are held again.
    /// </summary>
    public void ReleaseHeld() => Interlocked.Exchange(ref _held, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes at the next <see cref="ReleaseHeld"/>.</summary>
    internal Task NextRelease => Volatile.Read(ref _held).Task;

    // ---- reset ----------------------------------------------------------------------------------------------

    /// <summary>Stops running simulations (no webhooks), forgets requests, files, counters, deliveries and faults, and restores the start options. Keys are kept.</summary>
    public void Reset()
    {
        var old = Interlocked.Exchange(ref _generation, new CancellationTokenSource());
        old.Cancel(); // not disposed: running simulations may still hold its token
        _requests.Clear();
        _counts.Clear();
        _countsByRequest.Clear();
        _deliveries.Clear();
        Files.Clear();
        PayloadDeletions.Clear();
        FaultBook.Clear();
        Options.CopyFrom(_initialOptions);
        foreach (var rule in Options.Faults)
        {
            FaultBook.Add(rule.Clone());
        }
    }

    public void Dispose()
    {
        _generation.Cancel();
        _generation.Dispose();
        Keys.Dispose();
    }
}
