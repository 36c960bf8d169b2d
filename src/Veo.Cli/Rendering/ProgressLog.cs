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

    public void Update(JobStatus? status, string? pollTrouble)
    {
        if (status is not null)
        {
            ShowPhases(status);
            ShowLogs(status);
            lastError = ShowChange(lastError, status.LastError, "yellow", "trouble");
        }

        trouble = ShowChange(trouble, pollTrouble, "yellow", "not answering");
    }

    private void ShowPhases(JobStatus status)
    {
        var timeline = status.Timeline ?? [];
        bool shown = false;
        for (; shownPhases < timeline.Count; shownPhases++)
        {
            var entry = timeline[shownPhases];
            bool current = shownPhases == timeline.Count - 1 && entry.Phase == status.Phase;
            Line(entry.At - status.CreatedAt, current ? Phases.Markup(status) : $"[{Phases.Style(entry.Phase)}]{Markup.Escape(entry.Phase)}[/]");
            shown |= current;
        }

        // Without a timeline (an older app) the phase itself is the news; the queue position is news either way.
        bool changed = status.Phase != phase || (status.Phase == JobPhases.Queued && status.QueuePosition != position);
        if (changed && !shown && (timeline.Count == 0 || status.Phase == phase))
        {
            Line(status.LastUpdatedAt - status.CreatedAt, Phases.Markup(status));
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
