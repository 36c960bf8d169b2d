using Spectre.Console;
using Veo.Cli.Api;

namespace Veo.Cli.Rendering;

/// <summary>The closing lines of a watch: the video and where it is, or why there is none.</summary>
public static class OutcomeView
{
    /// <param name="willDownload">True when the video is about to be saved, so no download hint is needed.</param>
    public static void Write(IAnsiConsole console, JobStatus status, bool willDownload)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(status);
        string took = Readable.Duration(JobTimes.Elapsed(status, status.LastUpdatedAt));
        switch (status.Phase)
        {
            case JobPhases.Completed:
                console.MarkupLine($"[green]Completed[/] in {took}: {VideoText(status.Video)}.");
                break;
            case JobPhases.Failed:
                console.MarkupLine($"[red]Failed[/] after {took}: {Markup.Escape(status.Error ?? "the app gave no reason")}");
                break;
            default:
                console.MarkupLine($"[yellow]Cancelled[/] after {took}: {Markup.Escape(status.Error ?? "cancelled on request")}");
                break;
        }

        if (status.Note is { } note)
        {
            console.MarkupLine($"[grey]note:[/] {Markup.Escape(note)}");
        }

        if (status.Video is not null && status.Phase != JobPhases.Completed)
        {
            console.MarkupLine($"fal delivered the video anyway and it was archived: {VideoText(status.Video)}.");
        }

        if (status.Video is not null && !willDownload)
        {
            console.MarkupLine($"Download it: [bold]veo download {Markup.Escape(status.JobId)}[/]");
        }
    }

    private static string VideoText(JobVideo? video) => video is null
        ? "the app reported no video"
        : Markup.Escape($"{Readable.Bytes(video.Bytes)} at {video.Container}/{video.BlobName}");
}
