using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using DurableTask.Core;
using Grpc.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.Options;
using P = Microsoft.DurableTask.Protobuf;

namespace DurableSidecar;

/// <summary>
/// The stock sidecar server, plus what a crash test needs: when the worker's <c>GetWorkItems</c> stream ends
/// (the worker process died), every work item handed to that worker and not yet answered is failed, so the
/// sidecar's dispatcher abandons it and the backend redelivers it to the next worker (at-least-once, as in
/// production). The stock server (0.2.3-preview.1) instead waits for those answers forever.
/// </summary>
/// <remarks>
/// How: the worker's response stream is wrapped to record each work item written to it together with the
/// pending completion source the stock server created for it (private fields <c>pendingActivityTasks</c>,
/// <c>pendingOrchestratorTasks</c>, <c>partialOrchestratorChunks</c>, read by reflection). When the stream ends, the
/// wrapper refuses further writes with the exception the stock server treats as "client disconnected", and each
/// recorded item whose completion source is still the pending one is removed and failed. Items of a later
/// connection are never touched: they are recorded by that connection's own wrapper. The reflection is checked
/// at construction against the pinned package version, so an upgrade fails loudly instead of hanging tests.
/// </remarks>
public sealed class ResilientTaskHubGrpcServer : TaskHubGrpcServer
{
    /// <summary>The package version whose private fields this class relies on.</summary>
    public const string PinnedTestHostVersion = "0.2.3-preview.1";

    private static readonly FieldInfo PendingActivities = PrivateField("pendingActivityTasks");
    private static readonly FieldInfo PendingOrchestrators = PrivateField("pendingOrchestratorTasks");
    private static readonly FieldInfo PartialChunks = PrivateField("partialOrchestratorChunks");
    private static readonly MethodInfo FailMethod = typeof(ResilientTaskHubGrpcServer).GetMethod(nameof(FailIfStillPending), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly ILogger _log;
    private int _connections;

    public ResilientTaskHubGrpcServer(
        IHostApplicationLifetime hostApplicationLifetime,
        ILoggerFactory loggerFactory,
        IOrchestrationService service,
        IOrchestrationServiceClient client,
        IOptions<TaskHubGrpcServerOptions> options)
        : base(hostApplicationLifetime, loggerFactory, service, client, options)
    {
        CheckPinnedVersion();
        _log = loggerFactory.CreateLogger("DurableSidecar.Connections");
    }

    public override async Task GetWorkItems(P.GetWorkItemsRequest request, IServerStreamWriter<P.WorkItem> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        int connection = Interlocked.Increment(ref _connections);
        var tracker = new TrackingStreamWriter(this, responseStream);

        // The stock method registers the stream synchronously, then waits for the call to end.
        var serving = base.GetWorkItems(request, tracker, context);
        if (!serving.IsCompleted)
        {
            // Tests wait for this line before they rely on a connected worker.
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SIDECAR: worker connected (connection {connection}, {context.Peer})"));
        }

        using (context.CancellationToken.Register(() => ReleaseInFlight(tracker, connection)))
        {
            try
            {
                await serving.ConfigureAwait(false);
            }
            finally
            {
                ReleaseInFlight(tracker, connection);
            }
        }
    }

    private void ReleaseInFlight(TrackingStreamWriter tracker, int connection)
    {
        var inFlight = tracker.End();
        int failed = 0;
        foreach (var item in inFlight)
        {
            if (item.IsActivity ? Fail(PendingActivities, item) : Fail(PendingOrchestrators, item))
            {
                failed++;
                if (!item.IsActivity && PartialChunks.GetValue(this) is IDictionary partial)
                {
                    partial.Remove(item.Key);
                }
            }
        }

        if (inFlight.Count > 0 || failed > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SIDECAR: worker disconnected (connection {connection}); released {failed} in-flight work item(s) for redelivery"));
        }
    }

    private bool Fail(FieldInfo field, InFlight item)
    {
        object dictionary = field.GetValue(this)!;
        var resultType = dictionary.GetType().GetGenericArguments()[1].GetGenericArguments()[0];
        return (bool)FailMethod.MakeGenericMethod(resultType).Invoke(null, [dictionary, item])!;
    }

    private static bool FailIfStillPending<T>(ConcurrentDictionary<string, TaskCompletionSource<T>> pending, InFlight item)
    {
        if (item.CompletionSource is not TaskCompletionSource<T> tcs
            || !pending.TryRemove(new KeyValuePair<string, TaskCompletionSource<T>>(item.Key, tcs)))
        {
            return false; // answered already, or not ours
        }

        tcs.TrySetException(new RpcException(new Status(StatusCode.Unavailable, "The worker that held this work item disconnected; it goes back to the task hub.")));
        return true;
    }

    private object? CurrentCompletionSource(bool activity, string key)
    {
        var dictionary = (IDictionary)(activity ? PendingActivities : PendingOrchestrators).GetValue(this)!;
        return dictionary.Contains(key) ? dictionary[key] : null;
    }

    private static FieldInfo PrivateField(string name) =>
        typeof(TaskHubGrpcServer).GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new InvalidOperationException($"TaskHubGrpcServer has no field '{name}': ResilientTaskHubGrpcServer was written for Microsoft.DurableTask.InProcessTestHost {PinnedTestHostVersion}; review it before upgrading.");

    private static void CheckPinnedVersion()
    {
        string? version = typeof(TaskHubGrpcServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (version is null || !version.StartsWith(PinnedTestHostVersion, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"Microsoft.DurableTask.InProcessTestHost is {version ?? "of unknown version"}, but ResilientTaskHubGrpcServer relies on private details of {PinnedTestHostVersion}; review it before upgrading.");
        }
    }

    internal sealed record InFlight(bool IsActivity, string Key, object? CompletionSource);

    /// <summary>Records the work items written to one worker's stream; after <see cref="End"/>, refuses writes.</summary>
    private sealed class TrackingStreamWriter(ResilientTaskHubGrpcServer server, IServerStreamWriter<P.WorkItem> inner) : IServerStreamWriter<P.WorkItem>
    {
        private readonly Lock _gate = new();
        private readonly List<InFlight> _written = [];
        private bool _ended;

        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public Task WriteAsync(P.WorkItem message)
        {
            ArgumentNullException.ThrowIfNull(message);
            lock (_gate)
            {
                if (_ended)
                {
                    // The stock server recognizes this message as a closed client stream and abandons the item.
                    throw new InvalidOperationException("The worker's stream has ended: the request is complete.");
                }

                if (message.ActivityRequest is { } activity)
                {
                    string key = string.Concat(activity.OrchestrationInstance.InstanceId, "_", activity.TaskId.ToString(CultureInfo.InvariantCulture));
                    _written.Add(new InFlight(true, key, server.CurrentCompletionSource(true, key)));
                }
                else if (message.OrchestratorRequest is { } orchestrator)
                {
                    _written.Add(new InFlight(false, orchestrator.InstanceId, server.CurrentCompletionSource(false, orchestrator.InstanceId)));
                }
            }

            return inner.WriteAsync(message);
        }

        public List<InFlight> End()
        {
            lock (_gate)
            {
                _ended = true;
                var snapshot = _written.ToList();
                _written.Clear();
                return snapshot;
            }
        }
    }
}
