using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Veo.Cli.Rendering;

namespace Veo.Cli.Commands;

/// <summary><c>veo cancel ID</c>: ask the app to stop a job; what the cancel achieved shows in its status.</summary>
[Description("Ask the app to stop a job (before submit nothing is spent; at fal the request is cancelled too).")]
public sealed class CancelCommand(CliContext cli) : ApiCommand<JobSettings>(cli)
{
    public override async Task<int> ExecuteAsync(CommandContext context, JobSettings settings, CancellationToken cancellationToken)
    {
        var answer = await Api(settings).CancelAsync(settings.JobId, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Messages.Json(Cli.Out, answer.Json);
        }
        else
        {
            string id = Markup.Escape(answer.Value.JobId);
            Cli.Out.MarkupLine($"Cancel requested for job {id}. What it achieved: [bold]veo watch {id}[/]");
        }

        return ExitCodes.Ok;
    }
}
