using System.ComponentModel;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Cli;
using Veo.Cli.Api;
using Veo.Cli.Rendering;

namespace Veo.Cli.Commands;

/// <summary><c>veo list</c>: jobs newest first, a page at a time or <c>--all</c> of them.</summary>
[Description("List jobs, newest first.")]
public sealed class ListCommand(CliContext cli) : ApiCommand<ListCommand.Settings>(cli)
{
    public sealed class Settings : ApiSettings
    {
        [CommandOption("--phase <PHASE>")]
        [Description("Only jobs in this phase: validating, uploading, submitting, queued, generating, archiving, completed, failed, cancelled.")]
        public string? Phase { get; set; }

        [CommandOption("--top <N>")]
        [Description("Jobs per page, 1 to 200. Default: the app's (50).")]
        public string? Top { get; set; }

        [CommandOption("--all")]
        [Description("Follow every page, not only the first.")]
        public bool All { get; set; }

        [CommandOption("--continuation-token <TOKEN>")]
        [Description("Start at the page a previous list pointed to.")]
        public string? ContinuationToken { get; set; }

        public override ValidationResult Validate()
        {
            var top = OptionValues.Check(() => OptionValues.Int("--top", Top, 1, 200));
            return !top.Successful ? top
                : Phase is not null && !JobPhases.All.Contains(Phase)
                ? ValidationResult.Error($"--phase {Phase}: not a phase; one of {string.Join(", ", JobPhases.All)}.")
                : ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var api = Api(settings);
        var jobs = new List<JobStatus>();
        var raw = new JsonArray();
        string? token = settings.ContinuationToken;
        ApiAnswer<JobPage> page;
        do
        {
            page = await api.ListAsync(OptionValues.Int("--top", settings.Top, 1, 200), settings.Phase, token, cancellationToken).ConfigureAwait(false);
            jobs.AddRange(page.Value.Jobs);
            foreach (var job in JsonNode.Parse(page.Json)?["jobs"]?.AsArray() ?? [])
            {
                raw.Add(job?.DeepClone());
            }

            token = page.Value.ContinuationToken;
        }
        while (settings.All && token is not null);

        if (settings.Json)
        {
            // One page is printed as the app sent it; several are joined into one document of the same shape.
            Messages.Json(Cli.Out, settings.All ? new JsonObject { ["jobs"] = raw, ["continuationToken"] = null }.ToJsonString() : page.Json);
            return ExitCodes.Ok;
        }

        if (jobs.Count == 0)
        {
            Cli.Out.MarkupLine(settings.Phase is null ? "No jobs yet." : $"No {Markup.Escape(settings.Phase)} jobs.");
        }
        else
        {
            Cli.Out.Write(JobTable.Render(jobs, Cli.Time.GetUtcNow()));
        }

        if (token is not null)
        {
            Cli.Out.MarkupLine($"[grey]More: veo list --all, or --continuation-token {Markup.Escape(token)}[/]");
        }

        return ExitCodes.Ok;
    }
}
