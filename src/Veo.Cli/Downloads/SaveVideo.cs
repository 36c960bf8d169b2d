using Spectre.Console;
using Veo.Cli.Api;
using Veo.Cli.Rendering;

namespace Veo.Cli.Downloads;

/// <summary>The download step of <c>veo download</c> and of <c>watch --out</c>: a progress bar on a terminal, one line after.</summary>
public static class SaveVideo
{
    public static async Task<long> RunAsync(IAnsiConsole human, VeoApiClient api, JobStatus status, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(human);
        ArgumentNullException.ThrowIfNull(status);
        var downloader = new VideoDownloader(api);
        long bytes;
        if (Terminal.IsLive(human))
        {
            bytes = await human.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(Markup.Escape(Path.GetFileName(path)), maxValue: Math.Max(1, status.Video?.Bytes ?? 1));
                    return await downloader.DownloadAsync(status, path, (done, _) => task.Value = done, cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false);
        }
        else
        {
            bytes = await downloader.DownloadAsync(status, path, null, cancellationToken).ConfigureAwait(false);
        }

        human.MarkupLine($"Saved [bold]{Markup.Escape(path)}[/] ({Readable.Bytes(bytes)}, {bytes} bytes as archived).");
        return bytes;
    }
}
