using Spectre.Console;
using Veo.Cli.Api;

namespace Veo.Cli;

/// <summary>
/// Everything a command reaches outside itself: the consoles, the HTTP client, the environment and the clock.
/// A test builds one with <c>TestConsole</c>s and its own HTTP client and runs <see cref="VeoCli.RunAsync"/> in process.
/// </summary>
public sealed class CliContext
{
    public const string AppUrlVariable = "VEO_APP_URL";
    public const string FunctionKeyVariable = "VEO_FUNCTION_KEY";

    /// <summary>Where Core Tools' <c>func start</c> listens (scripts/run-local).</summary>
    public static readonly Uri DefaultAppUrl = new("http://127.0.0.1:7071");

    /// <summary>Results, tables, the live display; only JSON under <c>--json</c>.</summary>
    public required IAnsiConsole Out { get; init; }

    /// <summary>Errors, and under <c>--json</c> everything meant for a person.</summary>
    public required IAnsiConsole Error { get; init; }

    /// <summary>Must not follow redirects itself, so the function key never reaches a storage host (<see cref="VeoApiClient.CreateHttpClient"/>).</summary>
    public required HttpClient Http { get; init; }

    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Where relative <c>--image</c> and <c>--out</c> paths start.</summary>
    public string WorkingDirectory { get; init; } = System.Environment.CurrentDirectory;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How often <c>watch</c> asks for the status unless <c>--interval</c> says otherwise.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Failed polls in a row a watch waits out (an app restarting) before it gives up.</summary>
    public int MaxPollFailures { get; init; } = 30;

    public ApiClientOptions ApiOptions { get; init; } = new();

    /// <summary>The context of a real run: the terminal, stderr, a fresh HTTP client.</summary>
    public static CliContext ForTerminal() => new()
    {
        Out = AnsiConsole.Console,
        Error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }),
        Http = VeoApiClient.CreateHttpClient(),
    };
}
