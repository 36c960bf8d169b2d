using System.Collections.Concurrent;
using Spectre.Console.Testing;
using Veo.Cli;
using Veo.Cli.Api;
using Xunit.Abstractions;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// Runs the <c>veo</c> command line in process against a pipeline's HTTP host, as a user would from a folder of
/// their own, and keeps what it printed and every request it sent (to the app and to any download host).
/// </summary>
public sealed class VeoRun : IDisposable
{
    private readonly Pipeline _pipeline;
    private readonly ITestOutputHelper _log;
    private readonly HttpClient _http;

    /// <param name="log">Where each run's command line and output are written, to read when a test fails.</param>
    public VeoRun(Pipeline pipeline, ITestOutputHelper log)
    {
        _pipeline = pipeline;
        _log = log;
        _http = new HttpClient(new Recorder(Requests, new SocketsHttpHandler { AllowAutoRedirect = false })) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The user's folder: relative <c>--image</c> and <c>--out</c> paths start here.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("veo-cli-it-").FullName;

    /// <summary>Every request sent, with whether it carried the function key header.</summary>
    public ConcurrentQueue<(Uri Url, bool FunctionKey)> Requests { get; } = new();

    public string File(string name) => Path.Combine(Folder, name);

    /// <summary>Runs <c>veo args…</c> to its end (at most a minute, then it is interrupted and exits 130).</summary>
    public async Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args)
    {
        var output = new TestConsole().Width(200);
        var error = new TestConsole().Width(400);
        var context = new CliContext
        {
            Out = output,
            Error = error,
            Http = _http,
            Environment = name => name switch
            {
                CliContext.AppUrlVariable => _pipeline.Functions.BaseUrl.AbsoluteUri,
                CliContext.FunctionKeyVariable => "test-function-key",
                _ => null,
            },
            WorkingDirectory = Folder,
            PollInterval = TimeSpan.FromMilliseconds(100),
            ApiOptions = new ApiClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(50), RequestTimeout = TimeSpan.FromSeconds(30) },
        };
        using var bound = new CancellationTokenSource(Patience.Job);
        int code = await VeoCli.RunAsync(args, context, bound.Token);
        _log.WriteLine($"$ veo {string.Join(' ', args)}\n{output.Output}{error.Output}(exit {code})\n");
        return (code, output.Output, error.Output);
    }

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(Folder, recursive: true);
    }

    private sealed class Recorder(ConcurrentQueue<(Uri, bool)> requests, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            requests.Enqueue((request.RequestUri!, request.Headers.Contains(VeoApiClient.FunctionKeyHeader)));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
