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
    [Description("Also start a new attempt of each entry whose job failed or was cancelled without its video (once, however often this is run; at most 3 jobs an entry; a job fal made the video for is to be resumed instead).")]
    public bool Failed { get; set; }
}

/// <summary>
/// <c>veo manifest run NAME [--failed]</c>: runs a manifest again without re-uploading it (its event was lost or
/// dead-lettered). Nothing already started is started or paid for again; with <c>--failed</c>, each entry whose job
/// failed or was cancelled without its video gets one new attempt, and the failed entries the app did not start again
/// (their video is at fal: resume them; or they have had their jobs) are listed.
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
            foreach (string line in NotRetried(json))
            {
                Cli.Out.MarkupLine(Markup.Escape(line));
            }
        }

        return ExitCodes.Ok;
    }

    // The app's list of failed entries it did not start again, one line each with what to do.
    private static IEnumerable<string> NotRetried(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            yield break;
        }

        using var document = System.Text.Json.JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("notRetried", out var list) || list.ValueKind != System.Text.Json.JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var entry in list.EnumerateArray())
        {
            string jobId = entry.GetProperty("jobId").GetString() ?? "";
            string what = entry.TryGetProperty("id", out var id) && id.ValueKind == System.Text.Json.JsonValueKind.String ? $"Entry {id.GetString()}" : $"Entry {entry.GetProperty("index").GetInt32()}";
            yield return entry.GetProperty("reason").GetString() == "resumable"
                ? $"{what} not started again: fal made the video of its job {jobId}; archive it with: veo resume {jobId}"
                : $"{what} not started again: it has had its last attempt ({jobId}); give it a new run label to run it again";
        }

        if (document.RootElement.TryGetProperty("notRetriedCount", out var count) && count.TryGetInt32(out int all) && all > list.GetArrayLength())
        {
            yield return $"… and {all - list.GetArrayLength()} more (the app's log lists them).";
        }
    }
}
