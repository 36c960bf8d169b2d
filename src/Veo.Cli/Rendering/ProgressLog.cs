using Spectre.Console;
using Veo.Cli.Api;

namespace Veo.Cli.Rendering;

/// <summary>
/// <c>veo watch</c> where nothing can be redrawn (output to a file, a pipe, CI): one line per change, each
/// phase with when it began, new fal log lines, and troubles as they come and go.
/// </summary>
public sealed class ProgressLog(IAnsiConsole console)
{
    private readonly HashSet<string> shownLogs = new(StringComparer.Ordinal);
    private int shownPhases;
    private string? phase;
    private int? position;
    private string? lastError;
    private string? trouble;

    public void Update(JobStatus? status, string? pollTrouble, DateTimeOffset now)
    {
        if (status is not null)
        {
            ShowPhases(status, now);
            ShowLogs(status);
            lastError = ShowChange(lastError, status.LastError, "yellow", "trouble");
        }

        trouble = ShowChange(trouble, pollTrouble, "yellow", "not answering");
    }

    private void ShowPhases(JobStatus status, DateTimeOffset now)
    {
        var timeline = status.Timeline ?? [];
        for (; shownPhases < timeline.Count; shownPhases++)
        {
            Line(timeline[shownPhases].At - status.CreatedAt, $"[{Phases.Style(timeline[shownPhases].Phase)}]{Markup.Escape(timeline[shownPhases].Phase)}[/]");
        }

        // Without a timeline (an older app) the phase itself is the news; the queue position is news either way.
        if (status.Phase != phase && (timeline.Count == 0 || timeline[^1].Phase != status.Phase))
        {
            Line(now - status.CreatedAt, Phases.Markup(status));
        }
        else if (status.Phase == JobPhases.Queued && status.QueuePosition is { } p && p != position)
        {
            Line(now - status.CreatedAt, Phases.Markup(status));
        }

        phase = status.Phase;
        position = status.QueuePosition;
    }

    private void ShowLogs(JobStatus status)
    {
        foreach (string line in status.Logs ?? [])
        {
            if (shownLogs.Add(line))
            {
                console.MarkupLine($"       [grey]fal:[/] {Markup.Escape(line)}");
            }
        }
    }

    private string? ShowChange(string? shown, string? current, string color, string label)
    {
        if (!string.IsNullOrWhiteSpace(current) && current != shown)
        {
            console.MarkupLine($"       [{color}]{label}:[/] {Markup.Escape(current)}");
        }

        return current;
    }

    private void Line(TimeSpan sinceStart, string markup) =>
        console.MarkupLine($"{Readable.Offset(sinceStart),6} {markup}");
}
