using Spectre.Console.Testing;
using Veo.Cli.Api;
using VeoFunctions.Testing;

namespace Veo.Cli.Tests.Support;

/// <summary>Runs <c>veo</c> in process against a stand-in API, with test consoles, and keeps what it printed.</summary>
internal sealed class CliRun
{
    public required int ExitCode { get; init; }

    public required string Out { get; init; }

    public required string Error { get; init; }

    public static Task<CliRun> RunAsync(FakeVeoApi api, params string[] args) =>
        RunAsync(api, new CliOptions(), args);

    public static async Task<CliRun> RunAsync(FakeVeoApi? api, CliOptions options, params string[] args)
    {
        var output = options.Console ?? new TestConsole().Width(160);
        var error = new TestConsole().Width(400);
        var environment = new Dictionary<string, string?>(options.Environment ?? new Dictionary<string, string?>
        {
            [CliContext.AppUrlVariable] = api?.AppUrl.AbsoluteUri,
            [CliContext.FunctionKeyVariable] = FakeVeoApi.Key,
        });
        using var http = options.Http ?? VeoApiClient.CreateHttpClient();
        var context = new CliContext
        {
            Out = output,
            Error = error,
            Http = http,
            Environment = name => environment.GetValueOrDefault(name),
            WorkingDirectory = options.WorkingDirectory ?? Path.GetTempPath(),
            Time = new ShiftedClock(JobScript.CreatedAt + TimeSpan.FromSeconds(90)),
            PollInterval = TimeSpan.FromMilliseconds(10),
            MaxPollFailures = options.MaxPollFailures,
            ApiOptions = new ApiClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(5), RequestTimeout = Patience.Condition },
        };
        int code = await VeoCli.RunAsync(args, context, options.Cancellation);
        return new CliRun { ExitCode = code, Out = output.Output, Error = error.Output };
    }
}
