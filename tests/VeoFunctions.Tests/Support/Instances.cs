using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using VeoFunctions.Jobs;

namespace VeoFunctions.Tests.Support;

/// <summary>Orchestration instances as the durable client reports them, for tests of what a caller is shown.</summary>
internal static class Instances
{
    public static OrchestrationMetadata Of(
        string name, string instanceId, OrchestrationRuntimeStatus status, DateTimeOffset created, DateTimeOffset updated,
        JobProgress? progress = null, VideoJobResult? output = null, TaskFailureDetails? failure = null) =>
        new(name, instanceId)
        {
            RuntimeStatus = status,
            CreatedAt = created,
            LastUpdatedAt = updated,
            SerializedCustomStatus = progress is null ? null : FakeDurableClient.Converter.Serialize(progress),
            SerializedOutput = output is null ? null : FakeDurableClient.Converter.Serialize(output),
            FailureDetails = failure,
            DataConverter = FakeDurableClient.Converter,
        };
}
