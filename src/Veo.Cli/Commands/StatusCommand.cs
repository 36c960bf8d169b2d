using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Veo.Cli.Rendering;

namespace Veo.Cli.Commands;

/// <summary><c>veo status ID</c>: the job once, as the watch display shows it.</summary>
[Description("Show a job's status once.")]
public sealed class StatusCommand(CliContext cli) : ApiCommand<JobSettings>(cli)
{
    public override async Task<int> ExecuteAsync(CommandContext context, JobSettings settings, CancellationToken cancellationToken)
    {
        var answer = await Api(settings).GetAsync(settings.JobId, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Messages.Json(Cli.Out, answer.Json);
        }
        else
        {
            Cli.Out.Write(JobView.Render(answer.Value, Cli.Time.GetUtcNow()));
        }

        return ExitCodes.Ok;
    }
}
