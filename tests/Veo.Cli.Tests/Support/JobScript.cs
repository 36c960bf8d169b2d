using System.Text.Json.Nodes;

namespace Veo.Cli.Tests.Support;

/// <summary>
/// A job's scripted progression: each status request gets the next step (the last one repeats). Steps build the
/// document the real app sends, timeline included, at fixed moments so durations are known in advance.
/// </summary>
internal sealed class JobScript(FakeVeoApi api, string jobId)
{
    public static readonly DateTimeOffset CreatedAt = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private readonly List<JsonObject> steps = [];
    private readonly JsonArray timeline = [];
    private TimeSpan clock;
    private int served;

    public string JobId { get; } = jobId;

    /// <summary>How the video is offered once there is one.</summary>
    public LinkMode Link { get; set; } = LinkMode.Fresh;

    /// <summary>Bytes the status claims, when a test wants it to disagree with what is served.</summary>
    public long? ReportedBytes { get; set; }

    public int Served => Volatile.Read(ref served);

    public bool HasVideo => Current?["video"] is JsonObject;

    private JsonObject? Current => steps.Count == 0 ? null : steps[Math.Min(Math.Max(Served - 1, 0), steps.Count - 1)];

    /// <summary>Adds a step entered <paramref name="after"/> the previous one (5 s unless said).</summary>
    public JobScript Step(
        string phase,
        TimeSpan? after = null,
        int? queuePosition = null,
        string[]? logs = null,
        string? lastError = null,
        string? error = null,
        string? note = null,
        bool video = false)
    {
        clock += steps.Count == 0 ? TimeSpan.Zero : after ?? TimeSpan.FromSeconds(5);
        var at = CreatedAt + clock;
        if (timeline.Count == 0 || (string?)timeline[^1]!["phase"] != phase)
        {
            timeline.Add(new JsonObject { ["phase"] = phase, ["at"] = at });
        }

        steps.Add(new JsonObject
        {
            ["jobId"] = JobId,
            ["phase"] = phase,
            ["createdAt"] = CreatedAt,
            ["lastUpdatedAt"] = at,
            ["falRequestId"] = phase is "validating" or "uploading" or "submitting" ? null : "fal-req-" + JobId,
            ["queuePosition"] = queuePosition,
            ["video"] = video ? api.VideoJson(this) : null,
            ["error"] = error,
            ["timeline"] = timeline.DeepClone(),
            ["lastError"] = lastError,
            ["logs"] = new JsonArray((logs ?? []).Select(l => (JsonNode?)l).ToArray()),
            ["note"] = note,
            ["salvaged"] = false,
        });
        return this;
    }

    /// <summary>The next status document, advancing the script.</summary>
    public string Next()
    {
        int index = Math.Min(Interlocked.Increment(ref served) - 1, steps.Count - 1);
        return steps[index].ToJsonString();
    }

    /// <summary>The document last served (or the first), without advancing.</summary>
    public JsonObject Peek() => Current!;
}
