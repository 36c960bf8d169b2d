using Spectre.Console;
using Spectre.Console.Cli;
using Veo.Cli.Api;

namespace Veo.Cli.Commands;

/// <summary>What every command shares: its API client and where its words for a person go.</summary>
public abstract class ApiCommand<TSettings>(CliContext cli) : AsyncCommand<TSettings>
    where TSettings : ApiSettings
{
    protected CliContext Cli { get; } = cli;

    protected VeoApiClient Api(TSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new VeoApiClient(Cli.Http, settings.Endpoint(Cli.Environment), Cli.ApiOptions);
    }

    /// <summary>The console for people: stdout normally, stderr under <c>--json</c> so stdout stays JSON.</summary>
    protected IAnsiConsole Human(TSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Json ? Cli.Error : Cli.Out;
    }
}
