using System.Collections.Concurrent;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Moq;

namespace VeoFunctions.Tests.Support;

/// <summary>
/// A Moq <see cref="DurableTaskClient"/> that remembers what it scheduled, so a second start under the same id
/// finds the first instance (as GetInstanceAsync with inputs does in the real client), and records raised events.
/// </summary>
internal sealed class FakeDurableClient
{
    public static readonly DataConverter Converter = JsonDataConverter.Default;

    public FakeDurableClient()
    {
        Mock.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, bool _, CancellationToken _) => Instances.GetValueOrDefault(id));
        Mock.Setup(c => c.GetInstancesAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, bool _, CancellationToken _) => Instances.GetValueOrDefault(id));
        Mock.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((TaskName name, object? input, StartOrchestrationOptions? options, CancellationToken _) =>
            {
                string id = options?.InstanceId ?? Guid.NewGuid().ToString("N");
                Scheduled.Enqueue(new ScheduledInstance(name.Name, id, input));
                Instances[id] = new OrchestrationMetadata(name.Name, id)
                {
                    RuntimeStatus = OrchestrationRuntimeStatus.Pending,
                    SerializedInput = Converter.Serialize(input),
                    DataConverter = Converter,
                    CreatedAt = DateTimeOffset.UnixEpoch,
                    LastUpdatedAt = DateTimeOffset.UnixEpoch,
                };
                return id;
            });
        Mock.Setup(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .Returns((string id, string name, object? payload, CancellationToken _) =>
            {
                Raised.Enqueue(new RaisedEvent(id, name, payload));
                return Task.CompletedTask;
            });
    }

    public Mock<DurableTaskClient> Mock { get; } = new("test-hub");

    public DurableTaskClient Object => Mock.Object;

    public ConcurrentDictionary<string, OrchestrationMetadata> Instances { get; } = new();

    public ConcurrentQueue<ScheduledInstance> Scheduled { get; } = new();

    public ConcurrentQueue<RaisedEvent> Raised { get; } = new();

    public void VerifyScheduled(int times) =>
        Mock.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Exactly(times));

    public void VerifyRaised(int times) =>
        Mock.Verify(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()), Times.Exactly(times));
}

internal sealed record ScheduledInstance(string Name, string InstanceId, object? Input);

internal sealed record RaisedEvent(string InstanceId, string Name, object? Payload);
