using System.Text.Json;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.History;
using Google.Protobuf;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Newtonsoft.Json.Linq;
using P = Microsoft.DurableTask.Protobuf;

namespace VeoFunctions.IntegrationTests.Histories;

/// <summary>
/// Reads an orchestration's history from the Azure Storage backend (the task hub's History table, through
/// DurableTask.AzureStorage itself) and writes it as the worker receives it: each event converted to the gRPC
/// protocol's <c>HistoryEvent</c> by the same function the sidecar uses for its work items, in protobuf JSON.
/// </summary>
internal static class HistoryExport
{
    // Event types the worker is sent; the backend's JSON names each event's type.
    private static readonly Dictionary<EventType, Type> Types = new()
    {
        [EventType.ExecutionStarted] = typeof(ExecutionStartedEvent),
        [EventType.ExecutionCompleted] = typeof(ExecutionCompletedEvent),
        [EventType.ExecutionTerminated] = typeof(ExecutionTerminatedEvent),
        [EventType.TaskScheduled] = typeof(TaskScheduledEvent),
        [EventType.TaskCompleted] = typeof(TaskCompletedEvent),
        [EventType.TaskFailed] = typeof(TaskFailedEvent),
        [EventType.TimerCreated] = typeof(TimerCreatedEvent),
        [EventType.TimerFired] = typeof(TimerFiredEvent),
        [EventType.EventRaised] = typeof(EventRaisedEvent),
        [EventType.EventSent] = typeof(EventSentEvent),
        [EventType.OrchestratorStarted] = typeof(OrchestratorStartedEvent),
        [EventType.OrchestratorCompleted] = typeof(OrchestratorCompletedEvent),
        [EventType.GenericEvent] = typeof(GenericEvent),
    };

    /// <summary>The instance's history (its latest execution), oldest first.</summary>
    public static async Task<IReadOnlyList<P.HistoryEvent>> ReadAsync(AzureStorageOrchestrationService service, string instanceId)
    {
        var state = await service.GetOrchestrationStateAsync(instanceId, allExecutions: false);
        string executionId = Assert.Single(state).OrchestrationInstance.ExecutionId;
        var events = JArray.Parse(await service.GetOrchestrationHistoryAsync(instanceId, executionId));
        return events.Cast<JObject>().Select(Convert).Select(ToProto).ToList();
    }

    private static P.HistoryEvent ToProto(HistoryEvent e)
    {
        var proto = ProtobufUtils.ToHistoryEventProto(e);
        if (e is ExecutionCompletedEvent completed)
        {
            // The sidecar's conversion says Completed, without the failure, for every end (a worker is never sent one);
            // the replay test checks how the orchestration ended, so the file keeps the backend's own record.
            proto.ExecutionCompleted.OrchestrationStatus = (P.OrchestrationStatus)completed.OrchestrationStatus;
            proto.ExecutionCompleted.FailureDetails = completed.FailureDetails is { } failure
                ? new P.TaskFailureDetails { ErrorType = failure.ErrorType, ErrorMessage = failure.ErrorMessage, StackTrace = failure.StackTrace }
                : null;
        }

        return proto;
    }

    private static HistoryEvent Convert(JObject e)
    {
        var token = e[nameof(HistoryEvent.EventType)]!;
        var type = token.Type == JTokenType.String ? Enum.Parse<EventType>(token.Value<string>()!) : (EventType)token.Value<int>();
        Assert.True(Types.TryGetValue(type, out var clr), $"An event of type {type} in a recorded history: add it to {nameof(HistoryExport)}.");
        e.Remove("$type");
        return (HistoryEvent)e.ToObject(clr)!;
    }

    /// <summary>Writes a recorded history (with how it ended) as a test data file.</summary>
    public static void Write(string path, RecordedHistory history)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("scenario", history.Scenario);
        json.WriteString("orchestrator", history.Orchestrator);
        json.WriteString("version", history.Version);
        json.WriteString("runtimeStatus", history.RuntimeStatus);
        json.WriteString("customStatus", history.CustomStatus);
        json.WriteStartArray("events");
        foreach (var e in history.Events)
        {
            json.WriteRawValue(JsonFormatter.Default.Format(e));
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}

/// <summary>One recorded history, as the replay test reads it (tests/VeoFunctions.Tests/Jobs/Histories).</summary>
internal sealed record RecordedHistory(string Scenario, string Orchestrator, string Version, string RuntimeStatus, string? CustomStatus, IReadOnlyList<P.HistoryEvent> Events);
