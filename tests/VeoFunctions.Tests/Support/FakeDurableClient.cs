using System.Collections.Concurrent;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Grpc.Core;
using Moq;

namespace VeoFunctions.Tests.Support;

/// <summary>
/// A Moq <see cref="DurableTaskClient"/> that remembers what it scheduled, so a second start under the same id
/// finds the first instance (as GetInstanceAsync with inputs does in the real client), and records raised events.
/// It is as strict as the Functions host on Azure Storage: an event for an unknown or ended instance throws (gRPC
/// NotFound / FailedPrecondition), and a start under a live or deduplicated id throws AlreadyExists.
/// </summary>
internal sealed class FakeDurableClient
{
    public static readonly DataConverter Converter = JsonDataConverter.Default;

    private readonly Lock _gate = new();

    public FakeDurableClient()
    {
        Mock.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, bool _, CancellationToken _) => Instances.GetValueOrDefault(id));
        Mock.Setup(c => c.GetInstancesAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, bool _, CancellationToken _) => Instances.GetValueOrDefault(id));
        Mock.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((TaskName name, object? input, StartOrchestrationOptions? options, CancellationToken _) => Schedule(name, input, options));
        Mock.Setup(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .Returns((string id, string name, object? payload, CancellationToken _) =>
            {
                if (!Instances.TryGetValue(id, out var instance))
                {
                    throw new RpcException(new Status(StatusCode.NotFound, $"No instance with ID '{id}' was found. (Parameter 'instanceId')"));
                }

                if (instance.IsCompleted)
                {
                    throw new RpcException(new Status(StatusCode.FailedPrecondition, "The orchestration instance with the provided instance id is not running."));
                }

                Raised.Enqueue(new RaisedEvent(id, name, payload));
                return Task.CompletedTask;
            });
    }

    public Mock<DurableTaskClient> Mock { get; } = new("test-hub");

    /// <summary>Adds an instance in the given state, as if it had been started earlier.</summary>
    public void Add(string id, OrchestrationRuntimeStatus status, object? input = null, string name = "VideoJobOrchestrator") =>
        Instances[id] = new OrchestrationMetadata(name, id)
        {
            RuntimeStatus = status,
            SerializedInput = input is null ? null : Converter.Serialize(input),
            DataConverter = Converter,
            CreatedAt = DateTimeOffset.UnixEpoch,
            LastUpdatedAt = DateTimeOffset.UnixEpoch,
        };

    public DurableTaskClient Object => Mock.Object;

    public ConcurrentDictionary<string, OrchestrationMetadata> Instances { get; } = new();

    public ConcurrentQueue<ScheduledInstance> Scheduled { get; } = new();

    public ConcurrentQueue<RaisedEvent> Raised { get; } = new();

    /// <summary>Called before a schedule; an exception it returns is thrown and nothing is scheduled.</summary>
    public Func<string, Exception?>? BeforeSchedule { get; set; }

    private string Schedule(TaskName name, object? input, StartOrchestrationOptions? options)
    {
        if (BeforeSchedule?.Invoke(options?.InstanceId ?? "") is { } refused)
        {
            throw refused;
        }

        lock (_gate)
        {
            string id = options?.InstanceId ?? Guid.NewGuid().ToString("N");
            if (Instances.TryGetValue(id, out var existing)
                && (!existing.IsCompleted || options?.DedupeStatuses?.Contains(existing.RuntimeStatus.ToString()) == true))
            {
                throw new RpcException(new Status(StatusCode.AlreadyExists, $"An Orchestration instance with the ID {id} already exists."));
            }

            Scheduled.Enqueue(new ScheduledInstance(name.Name, id, input));
            Add(id, OrchestrationRuntimeStatus.Pending, input, name.Name);
            return id;
        }
    }

    public void VerifyScheduled(int times) =>
        Mock.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Exactly(times));

    public void VerifyRaised(int times) =>
        Mock.Verify(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()), Times.Exactly(times));
}

internal sealed record ScheduledInstance(string Name, string InstanceId, object? Input);

internal sealed record RaisedEvent(string InstanceId, string Name, object? Payload);
