using System.ComponentModel;
using Spectre.Console.Cli;
using Veo.Cli.Watching;

namespace Veo.Cli.Commands;

/// <summary><c>veo watch ID</c>: follow a job live to its end; the exit code says how it ended.</summary>
[Description("Follow a job live until it ends: exit 0 completed, 2 failed, 3 cancelled.")]
public sealed class WatchCommand(CliContext cli) : ApiCommand<WatchCommand.Settings>(cli)
{
    public sealed class Settings : FollowSettings
    {
        [CommandArgument(0, "<JOB_ID>")]
        [Description("The job's id, as veo create or veo list printed it.")]
        public string JobId { get; set; } = string.Empty;
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        new JobFollower(Cli, Api(settings), settings.Json).FollowAsync(settings.JobId, settings.Out, settings.PollInterval(Cli.PollInterval), cancellationToken);
}
