using Spectre.Console;
using Spectre.Console.Rendering;
using Veo.Cli.Api;

namespace Veo.Cli.Rendering;

/// <summary>
/// One job at a glance: what <c>veo status</c> prints and what <c>veo watch</c> redraws on every poll. Phase, queue
/// position, time per phase, fal's latest log lines, and whatever trouble or note the app reports.
/// </summary>
public static class JobView
{
    /// <summary>fal's log lines shown at most; the app keeps the latest.</summary>
    public const int MaxLogLines = 6;

    public static IRenderable Render(JobStatus status, DateTimeOffset now, string? trouble = null)
    {
        ArgumentNullException.ThrowIfNull(status);
        var facts = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        facts.AddRow(new Markup("[grey]job[/]"), new Text(status.JobId));
        facts.AddRow(new Markup("[grey]phase[/]"), new Markup(Phases.Markup(status)));
        if (status.FalRequestId is { } fal)
        {
            facts.AddRow(new Markup("[grey]fal request[/]"), new Text(fal));
        }

        facts.AddRow(new Markup("[grey]elapsed[/]"), new Text(Readable.Duration(JobTimes.Elapsed(status, now))));
        if (status.Video is { } video)
        {
            facts.AddRow(new Markup("[grey]video[/]"), new Text($"{video.Container}/{video.BlobName} ({Readable.Bytes(video.Bytes)})"));
        }

        var parts = new List<IRenderable> { facts };
        var phases = JobTimes.Phases(status, now);
        if (phases.Count > 0)
        {
            var table = new Table().Border(TableBorder.Simple).BorderColor(Color.Grey)
                .AddColumn("phase").AddColumn(new TableColumn("began").RightAligned()).AddColumn(new TableColumn("took").RightAligned());
            foreach (var phase in phases)
            {
                string took = phase.Took is { } t ? Readable.Duration(t) + (phase.Running ? " …" : string.Empty) : string.Empty;
                table.AddRow(
                    new Markup($"[{Phases.Style(phase.Phase)}]{Markup.Escape(phase.Phase)}[/]"),
                    new Text(Readable.Offset(phase.Began)),
                    new Text(took));
            }

            parts.Add(table);
        }

        if (status.Logs is { Count: > 0 } logs)
        {
            parts.Add(new Markup("[grey]fal logs[/]"));
            parts.AddRange(logs.TakeLast(MaxLogLines).Select(line => new Text("  " + line)));
        }

        AddLine(parts, "yellow", "trouble", status.LastError);
        AddLine(parts, "yellow", "not answering", trouble);
        AddLine(parts, "red", "error", status.Error);
        AddLine(parts, "grey", "note", status.Note);
        return new Panel(new Rows(parts)).Header(" veo ").RoundedBorder().BorderColor(Color.Grey);
    }

    /// <summary>What is shown before the first status arrives.</summary>
    public static IRenderable Waiting(string jobId) =>
        new Panel(new Markup($"[grey]job[/]  {Markup.Escape(jobId)}  [grey]asking the app…[/]")).Header(" veo ").RoundedBorder().BorderColor(Color.Grey);

    private static void AddLine(List<IRenderable> parts, string color, string label, string? text)
    {
        if (!string.IsNullOrWhiteSpace(text))
        {
            parts.Add(new Markup($"[{color}]{label}:[/] {Markup.Escape(text)}"));
        }
    }
}
