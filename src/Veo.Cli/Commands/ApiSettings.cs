using System.ComponentModel;
using Spectre.Console.Cli;
using Veo.Cli.Api;

namespace Veo.Cli.Commands;

/// <summary>The options every command takes: which app, which key, and whether to print JSON for scripts.</summary>
public class ApiSettings : CommandSettings
{
    [CommandOption("--app <URL>")]
    [Description("The app's base URL. Default: $VEO_APP_URL, else http://127.0.0.1:7071 (scripts/run-local).")]
    public string? App { get; set; }

    [CommandOption("--key <KEY>")]
    [Description("The function key (x-functions-key). Default: $VEO_FUNCTION_KEY. A local Core Tools run needs none.")]
    public string? Key { get; set; }

    [CommandOption("--json")]
    [Description("Print the app's JSON answers, one per line, and nothing else on stdout.")]
    public bool Json { get; set; }

    /// <summary>The app and key: options first, then the environment, then the local default.</summary>
    public ApiEndpoint Endpoint(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string app = App ?? NonEmpty(environment(CliContext.AppUrlVariable)) ?? CliContext.DefaultAppUrl.AbsoluteUri;
        if (!Uri.TryCreate(app, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"--app {app}: not an http or https URL.");
        }

        return new ApiEndpoint(url, Key ?? NonEmpty(environment(CliContext.FunctionKeyVariable)));
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
