using DurableTask.Core.Exceptions;
using Grpc.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// The test engines' client, made to behave as the Functions host (extension 3.18, Azure Storage provider) does
/// where it is stricter: raising an event checks the instance first and throws a gRPC FailedPrecondition for an
/// ended one and NotFound for an unknown one (<c>TaskHubGrpcServer.RaiseEvent</c>, <c>CheckStatusBeforeRaiseEvent</c>);
/// scheduling an id that is pending or running throws AlreadyExists, and an ended one is replaced unless the caller
/// deduplicates its status. The in-process engine silently drops such events and restarts such ids, so a test on it
/// alone would pass code that fails in Azure.
/// </summary>
public sealed class HostLikeDurableClient(DurableTaskClient inner) : DurableTaskClient(inner.Name)
{
    private static readonly OrchestrationRuntimeStatus[] Running =
        [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended];

    /// <summary>Events refused because the instance had ended or did not exist.</summary>
    public int RefusedEvents => _refused;

    private int _refused;

    /// <summary>A fault to inject: called with each instance id about to be scheduled; an exception it returns is thrown instead.</summary>
    public Func<string, Exception?>? ScheduleFault { get; set; }

    public override async Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        var instance = await inner.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellation);
        if (instance is null)
        {
            Interlocked.Increment(ref _refused);
            throw new RpcException(new Status(StatusCode.NotFound, $"No instance with ID '{instanceId}' was found. (Parameter 'instanceId')"));
        }

        if (!Running.Contains(instance.RuntimeStatus))
        {
            Interlocked.Increment(ref _refused);
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "The orchestration instance with the provided instance id is not running."));
        }

        await inner.RaiseEventAsync(instanceId, eventName, eventPayload, cancellation);
    }

    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        if (options?.InstanceId is { } faulted && ScheduleFault?.Invoke(faulted) is { } fault)
        {
            throw fault;
        }

        if (options?.InstanceId is { } id && await inner.GetInstanceAsync(id, getInputsAndOutputs: false, cancellation) is { } existing)
        {
            if (Running.Contains(existing.RuntimeStatus) || options.DedupeStatuses?.Contains(existing.RuntimeStatus.ToString()) == true)
            {
                throw new OrchestrationAlreadyExistsException($"An Orchestration instance with the ID {id} already exists.");
            }

            await inner.PurgeInstanceAsync(id, cancellation: cancellation); // the host replaces an ended instance
        }

        return await inner.ScheduleNewOrchestrationInstanceAsync(orchestratorName, input, options, cancellation);
    }

    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        inner.WaitForInstanceStartAsync(instanceId, getInputsAndOutputs, cancellation);

    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        inner.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs, cancellation);

    public override Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default) =>
        inner.TerminateInstanceAsync(instanceId, options, cancellation);

    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        inner.SuspendInstanceAsync(instanceId, reason, cancellation);

    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        inner.ResumeInstanceAsync(instanceId, reason, cancellation);

    public override Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        inner.GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation);

    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) => inner.GetAllInstancesAsync(filter);

    public override Task<PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default) =>
        inner.PurgeInstanceAsync(instanceId, options, cancellation);

    public override Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default) =>
        inner.PurgeAllInstancesAsync(filter, options, cancellation);

    // The owner of the inner client disposes it.
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
