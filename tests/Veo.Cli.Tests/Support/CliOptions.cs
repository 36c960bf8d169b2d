using Spectre.Console.Testing;

namespace Veo.Cli.Tests.Support;

/// <summary>What a test changes about a run; everything else is the stand-in's defaults.</summary>
internal sealed record CliOptions
{
    public TestConsole? Console { get; init; }

    public HttpClient? Http { get; init; }

    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    public string? WorkingDirectory { get; init; }

    public int MaxPollFailures { get; init; } = 5;

    public CancellationToken Cancellation { get; init; }
}
