using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Veo.Cli.Rendering;

namespace Veo.Cli.Commands;

/// <summary><c>veo resume ID</c>: try a stalled archive again (the video fal made is paid for; this saves it).</summary>
[Description("Retry a job whose archive stalled.")]
public sealed class ResumeCommand(CliContext cli) : ApiCommand<JobSettings>(cli)
{
    public override async Task<int> ExecuteAsync(CommandContext context, JobSettings settings, CancellationToken cancellationToken)
    {
        string json = await Api(settings).ResumeAsync(settings.JobId, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Messages.Json(Cli.Out, string.IsNullOrWhiteSpace(json) ? "{}" : json);
        }
        else
        {
            string id = Markup.Escape(settings.JobId);
            Cli.Out.MarkupLine($"Resume requested for job {id}. Follow it: [bold]veo watch {id}[/]");
        }

        return ExitCodes.Ok;
    }
}
