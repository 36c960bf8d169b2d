using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker.Grpc;
using VeoFunctions.Jobs;
using P = Microsoft.DurableTask.Protobuf;

namespace VeoFunctions.Tests.Jobs;

/// <summary>
/// Every recorded history of every version of the story (Jobs/Histories, recorded on the Azure Storage backend; see its
/// README) replays against today's code, through the very entry point the Functions isolated worker runs an orchestrator
/// with (<see cref="GrpcOrchestrationRunner.LoadAndRun(string, ITaskOrchestrator, IServiceProvider?)"/>: the protocol's
/// request, DurableTask.Core's executor and the SDK's shim). Each episode of the history (an OrchestratorStarted and the
/// events delivered with it) is run as the backend ran it: the episodes before it as past events, its own as new ones.
/// The actions the code produces must be the ones the history recorded for that episode (each activity's name, id and
/// input, each timer's id and time, the end's status and output), so a renamed, reordered, added or dropped step,
/// a changed timer or retry policy, or a different end fails here; and the last episode must leave the custom status the
/// instance had.
/// </summary>
public sealed class HistoryReplayTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Jobs", "Histories");

    // The orchestrators the app registers (VideoJobTasks), by the name their histories carry.
    private static readonly Dictionary<string, Func<ITaskOrchestrator>> Orchestrators = new()
    {
        [nameof(VideoJobOrchestrator)] = () => new VideoJobOrchestrator(),
        [nameof(VideoSalvageOrchestrator)] = () => new VideoSalvageOrchestrator(),
    };

    private static List<string> Files() => Directory.GetFiles(Folder, "*.json").Select(file => Path.GetFileName(file)).Order(StringComparer.Ordinal).ToList();

    public static TheoryData<string> Histories() => new(Files());

    [Fact]
    public void EveryVersionOfTheStory_HasRecordedHistories()
    {
        var releases = Files().Select(file => file.Split('-')[0]).ToHashSet();
        Assert.Superset(new HashSet<string> { "1.0", "2.0", VideoJobOrchestrator.Version }, releases);
        Assert.Contains(Files(), file => file.Contains("salvage-run", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Histories))]
    public void ARecordedHistory_ReplaysWithTheSameSteps_AndEndsAsItEnded(string file)
    {
        var recorded = Recorded.Load(Path.Combine(Folder, file));
        var episodes = Episodes(recorded.Events);
        Assert.True(recorded.Events.Count > 0 && episodes.Count > 0, $"{file} holds no history.");
        Assert.Equal(P.HistoryEvent.EventTypeOneofCase.ExecutionCompleted, recorded.Events.Last(e => e.EventTypeCase != P.HistoryEvent.EventTypeOneofCase.OrchestratorCompleted).EventTypeCase);

        P.OrchestratorResponse? last = null;
        for (int i = 0; i < episodes.Count; i++)
        {
            var (start, end) = episodes[i];
            var past = recorded.Events.Take(start);
            var episode = recorded.Events.Skip(start).Take(end - start).ToList();
            last = Replay(recorded, past, episode.Where(IsDelivered));
            var expected = episode.Where(IsAction).Select(Describe).ToList();
            var actual = last.Actions.Select(Describe).ToList();
            Assert.True(expected.SequenceEqual(actual),
                $"{file}, episode {i + 1} of {episodes.Count} (events {start}..{end - 1}): today's code does not take the recorded steps.\n" +
                $"recorded:\n  {string.Join("\n  ", expected)}\ntoday:\n  {string.Join("\n  ", actual)}");
        }

        Assert.Equal(Canonical(recorded.CustomStatus), Canonical(last!.CustomStatus));
    }

    private static P.OrchestratorResponse Replay(Recorded recorded, IEnumerable<P.HistoryEvent> past, IEnumerable<P.HistoryEvent> delivered)
    {
        var started = recorded.Events.Select(e => e.ExecutionStarted).First(e => e is not null);
        var request = new P.OrchestratorRequest { InstanceId = started.OrchestrationInstance.InstanceId, ExecutionId = started.OrchestrationInstance.ExecutionId };
        request.PastEvents.AddRange(past);
        request.NewEvents.AddRange(delivered);
        Assert.True(Orchestrators.TryGetValue(started.Name, out var orchestrator), $"No orchestrator named {started.Name} is registered.");
        string answer = GrpcOrchestrationRunner.LoadAndRun(Convert.ToBase64String(request.ToByteArray()), orchestrator(), services: null);
        return P.OrchestratorResponse.Parser.ParseFrom(Convert.FromBase64String(answer));
    }

    /// <summary>Each episode's events: from an OrchestratorStarted up to the next.</summary>
    private static List<(int Start, int End)> Episodes(IReadOnlyList<P.HistoryEvent> events)
    {
        var starts = events.Select((e, i) => (e, i)).Where(p => p.e.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.OrchestratorStarted).Select(p => p.i).ToList();
        return starts.Select((s, n) => (s, n + 1 < starts.Count ? starts[n + 1] : events.Count)).ToList();
    }

    // What the orchestrator's code produced in an episode (the backend records its actions as these events).
    private static bool IsAction(P.HistoryEvent e) => e.EventTypeCase is P.HistoryEvent.EventTypeOneofCase.TaskScheduled or P.HistoryEvent.EventTypeOneofCase.TimerCreated
        or P.HistoryEvent.EventTypeOneofCase.ExecutionCompleted or P.HistoryEvent.EventTypeOneofCase.EventSent
        or P.HistoryEvent.EventTypeOneofCase.SubOrchestrationInstanceCreated or P.HistoryEvent.EventTypeOneofCase.ContinueAsNew;

    // What the backend delivered to the worker for an episode (its new events).
    private static bool IsDelivered(P.HistoryEvent e) => !IsAction(e) && e.EventTypeCase != P.HistoryEvent.EventTypeOneofCase.OrchestratorCompleted;

    private static string Describe(P.HistoryEvent e) => e.EventTypeCase switch
    {
        P.HistoryEvent.EventTypeOneofCase.TaskScheduled => $"#{e.EventId} activity {e.TaskScheduled.Name} {Canonical(e.TaskScheduled.Input)}",
        P.HistoryEvent.EventTypeOneofCase.TimerCreated => $"#{e.EventId} timer at {Time(e.TimerCreated.FireAt)}",
        P.HistoryEvent.EventTypeOneofCase.ExecutionCompleted => End(e.ExecutionCompleted.OrchestrationStatus, e.ExecutionCompleted.Result),
        P.HistoryEvent.EventTypeOneofCase.EventSent => $"#{e.EventId} event {e.EventSent.Name} to {e.EventSent.InstanceId} {Canonical(e.EventSent.Input)}",
        _ => $"#{e.EventId} {e.EventTypeCase}",
    };

    // The same words for what the code produced today, so the two lists compare line by line (the shape repeats the
    // one above on purpose: one reads the recorded events, the other the protocol's actions).
    private static string Describe(P.OrchestratorAction a) => a.OrchestratorActionTypeCase switch
    {
        P.OrchestratorAction.OrchestratorActionTypeOneofCase.ScheduleTask => $"#{a.Id} activity {a.ScheduleTask.Name} {Canonical(a.ScheduleTask.Input)}",
        P.OrchestratorAction.OrchestratorActionTypeOneofCase.CreateTimer => $"#{a.Id} timer at {Time(a.CreateTimer.FireAt)}",
        P.OrchestratorAction.OrchestratorActionTypeOneofCase.CompleteOrchestration => End(a.CompleteOrchestration.OrchestrationStatus, a.CompleteOrchestration.Result),
        P.OrchestratorAction.OrchestratorActionTypeOneofCase.SendEvent => $"#{a.Id} event {a.SendEvent.Name} to {a.SendEvent.Instance?.InstanceId} {Canonical(a.SendEvent.Data)}",
        _ => $"#{a.Id} {a.OrchestratorActionTypeCase}",
    };

    // The end: its status and output (a failed orchestration's output is its error's message; the backend's record of
    // the end keeps no more of the failure).
    private static string End(P.OrchestrationStatus status, string? result) => $"end {status} {Canonical(result)}";

    private static string Time(Google.Protobuf.WellKnownTypes.Timestamp at) => at.ToDateTime().ToString("O", CultureInfo.InvariantCulture);

    /// <summary>
    /// A JSON payload with its null members left out: an input or output may gain optional members (docs/design.md,
    /// versions rule), which today's code writes as null where the recorded payload had nothing.
    /// </summary>
    private static string Canonical(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return "";
        }

        try
        {
            return WithoutNulls(JsonNode.Parse(json))?.ToJsonString() ?? "null";
        }
        catch (JsonException)
        {
            return json; // a failed orchestration's output is its error's text
        }
    }

    private static JsonNode? WithoutNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o.ToList())
                {
                    if (value is null)
                    {
                        o.Remove(key);
                    }
                    else
                    {
                        WithoutNulls(value);
                    }
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    WithoutNulls(item);
                }

                break;
        }

        return node;
    }

    /// <summary>A recorded history file (written by the integration tests' HistoryRecordingTests).</summary>
    private sealed record Recorded(string Orchestrator, string? CustomStatus, IReadOnlyList<P.HistoryEvent> Events)
    {
        public static Recorded Load(string path)
        {
            using var file = JsonDocument.Parse(File.ReadAllText(path));
            var root = file.RootElement;
            var events = root.GetProperty("events").EnumerateArray().Select(e => P.HistoryEvent.Parser.ParseJson(e.GetRawText())).ToList();
            return new(root.GetProperty("orchestrator").GetString()!, root.GetProperty("customStatus").GetString(), events);
        }
    }
}
