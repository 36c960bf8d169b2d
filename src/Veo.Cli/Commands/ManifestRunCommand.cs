using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Veo.Cli.Rendering;

namespace Veo.Cli.Commands;

/// <summary>The settings of <c>veo manifest run</c>.</summary>
public sealed class ManifestRunSettings : ApiSettings
{
    [CommandArgument(0, "<NAME>")]
    [Description("The manifest's blob name in the jobs container, e.g. nightly/shots.json.")]
    public string Name { get; set; } = string.Empty;

    [CommandOption("--failed")]
    [Description("Also start a new attempt of each entry whose job failed or was cancelled (once, however often this is run).")]
    public bool Failed { get; set; }
}

/// <summary>
/// <c>veo manifest run NAME [--failed]</c>: runs a manifest again without re-uploading it (its event was lost or
/// dead-lettered). Nothing already started is started or paid for again; with <c>--failed</c>, each entry whose job
/// failed or was cancelled gets one new attempt.
/// </summary>
[Description("Run a manifest of the jobs container again; entries already started are not started again.")]
public sealed class ManifestRunCommand(CliContext cli) : ApiCommand<ManifestRunSettings>(cli)
{
    public override async Task<int> ExecuteAsync(CommandContext context, ManifestRunSettings settings, CancellationToken cancellationToken)
    {
        string json = await Api(settings).RunManifestAsync(settings.Name, settings.Failed, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Messages.Json(Cli.Out, string.IsNullOrWhiteSpace(json) ? "{}" : json);
        }
        else
        {
            Cli.Out.MarkupLine(settings.Failed
                ? $"Manifest {Markup.Escape(settings.Name)} run: entries not started before, and a new attempt of each failed or cancelled one, are starting. Its result file is beside it."
                : $"Manifest {Markup.Escape(settings.Name)} run: entries not started before are starting. Its result file is beside it.");
        }

        return ExitCodes.Ok;
    }
}
