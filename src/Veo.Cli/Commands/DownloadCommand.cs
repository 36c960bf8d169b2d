using System.ComponentModel;
using System.Text.Json;
using Spectre.Console.Cli;
using Veo.Cli.Api;
using Veo.Cli.Downloads;
using Veo.Cli.Rendering;

namespace Veo.Cli.Commands;

/// <summary><c>veo download ID</c>: save a job's MP4, checked against the size the app archived.</summary>
[Description("Save a job's video (default: JOB_ID.mp4 here).")]
public sealed class DownloadCommand(CliContext cli) : ApiCommand<DownloadCommand.Settings>(cli)
{
    public sealed class Settings : JobSettings
    {
        [CommandOption("-o|--out <FILE>")]
        [Description("Where to save the video. Default: JOB_ID.mp4 in the current folder. An existing file is replaced.")]
        public string? Out { get; set; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var api = Api(settings);
        var status = (await api.GetAsync(settings.JobId, cancellationToken).ConfigureAwait(false)).Value;
        if (status.Video is null)
        {
            throw VideoDownloader.NoVideo(status);
        }

        string path = Path.GetFullPath(settings.Out ?? status.JobId + ".mp4", Cli.WorkingDirectory);
        long bytes = await SaveVideo.RunAsync(Human(settings), api, status, path, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Messages.Json(Cli.Out, JsonSerializer.Serialize(new SavedVideo(status.JobId, path, bytes), VeoJsonContext.Default.SavedVideo));
        }

        return ExitCodes.Ok;
    }
}
