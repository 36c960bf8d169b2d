using System.ComponentModel;
using Spectre.Console.Cli;

namespace Veo.Cli.Commands;

/// <summary>The settings of a command about one job.</summary>
public class JobSettings : ApiSettings
{
    [CommandArgument(0, "<JOB_ID>")]
    [Description("The job's id, as veo create or veo list printed it.")]
    public string JobId { get; set; } = string.Empty;
}
