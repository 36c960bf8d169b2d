using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Veo.Cli.Commands;

/// <summary>The options of following a job to its end: <c>watch</c>, and <c>create --watch</c>.</summary>
public class FollowSettings : ApiSettings
{
    [CommandOption("-o|--out <FILE>")]
    [Description("Save the video here when the job is done (streamed, byte count verified).")]
    public string? Out { get; set; }

    [CommandOption("--interval <SECONDS>")]
    [Description("How often to ask for the status. Default: 2.")]
    public string? Interval { get; set; }

    public TimeSpan PollInterval(TimeSpan fallback) => OptionValues.Seconds("--interval", Interval) ?? fallback;

    public override ValidationResult Validate() => OptionValues.Check(() => OptionValues.Seconds("--interval", Interval));
}
