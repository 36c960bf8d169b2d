using System.Net;
using System.Net.Sockets;
using Veo.Cli.Tests.Support;

namespace Veo.Cli.Tests;

/// <summary>Which app and key a command uses, and the one-line errors when either is wrong.</summary>
public sealed class ConnectionTests : StandInTest
{
    [Fact]
    public async Task UnreachableApp_ExitsWith7_InOneLine_SayingHowToStartOrPointAtIt()
    {
        var run = await CliRun.RunAsync(null, new CliOptions { Environment = new Dictionary<string, string?>() }, "status", "job-1", "--app", $"http://127.0.0.1:{ClosedPort()}");

        Assert.Equal(ExitCodes.Unavailable, run.ExitCode);
        string line = Assert.Single(run.Error.TrimEnd().Split('\n'));
        Assert.StartsWith("veo: Cannot reach the app at http://127.0.0.1:", line, StringComparison.Ordinal);
        Assert.EndsWith("Is it running (scripts/run-local)? Otherwise pass --app or set VEO_APP_URL.", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongKey_ExitsWith6_AndSaysWhichSettingToCheck()
    {
        var run = await CliRun.RunAsync(Api, "status", "job-1", "--key", "wrong");

        Assert.Equal(ExitCodes.Unauthorized, run.ExitCode);
        Assert.Equal($"veo: The app at {Origin} refused the function key (401): check --key or VEO_FUNCTION_KEY.", run.Error.TrimEnd());
    }

    [Fact]
    public async Task MissingKey_ExitsWith6_AndSaysHowToGiveOne()
    {
        var run = await CliRun.RunAsync(Api, new CliOptions { Environment = new Dictionary<string, string?> { ["VEO_APP_URL"] = Api.AppUrl.AbsoluteUri } }, "list");

        Assert.Equal(ExitCodes.Unauthorized, run.ExitCode);
        Assert.Equal($"veo: The app at {Origin} wants a function key (401): pass --key or set VEO_FUNCTION_KEY.", run.Error.TrimEnd());
        Assert.Null(Assert.Single(Api.Requests).FunctionKey);
    }

    [Fact]
    public async Task Options_WinOverTheEnvironment()
    {
        Api.Job("job-1").Step("queued");
        var environment = new Dictionary<string, string?> { ["VEO_APP_URL"] = $"http://127.0.0.1:{ClosedPort()}", ["VEO_FUNCTION_KEY"] = "stale" };

        var run = await CliRun.RunAsync(null, new CliOptions { Environment = environment }, "status", "job-1", "--app", Api.AppUrl.AbsoluteUri, "--key", FakeVeoApi.Key);

        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public async Task TheEnvironment_NamesTheAppAndKey_WhenNoOptionDoes()
    {
        Api.Job("job-1").Step("queued");

        var run = await CliRun.RunAsync(Api, "status", "job-1");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(FakeVeoApi.Key, Assert.Single(Api.Requests).FunctionKey);
    }

    [Fact]
    public async Task AnAppThatIsNotVeoFunctions_IsSaidToBeSo()
    {
        var run = await CliRun.RunAsync(Api, "status", "job-1", "--app", Api.BlobUrl.AbsoluteUri);

        Assert.Equal(ExitCodes.NotFound, run.ExitCode);
        Assert.Equal($"veo: /api/videos/job-1 is not there (404): is {Api.BlobUrl.GetLeftPart(UriPartial.Authority)} a VeoFunctions app?", run.Error.TrimEnd());
    }

    [Theory]
    [InlineData("ftp://example.com")]
    [InlineData("not a url")]
    public async Task ABadAppUrl_ExitsWith1(string app)
    {
        var run = await CliRun.RunAsync(Api, "list", "--app", app);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal($"veo: --app {app}: not an http or https URL.", run.Error.TrimEnd());
    }

    [Fact]
    public async Task AnUnknownCommand_ExitsWith1()
    {
        var run = await CliRun.RunAsync(Api, "render");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("veo: Unknown command 'render'.", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("list", "--bogus")]
    [InlineData("create", "-p", "A fox", "-i", "https://example.com/fox.png", "--resolutoin", "4k")] // a typo must not start a 720p job
    public async Task AnUnknownOption_ExitsWith1_AndSendsNothing(params string[] args)
    {
        var run = await CliRun.RunAsync(Api, args);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("veo: Unknown option", run.Error, StringComparison.Ordinal);
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public async Task AnAppPathIsKept_ForAppsBehindAPrefix()
    {
        var run = await CliRun.RunAsync(Api, "status", "job-1", "--app", Api.AppUrl.AbsoluteUri + "prefix");

        Assert.Equal(ExitCodes.NotFound, run.ExitCode);
        Assert.Equal("/prefix/api/videos/job-1", Assert.Single(Api.Requests).PathAndQuery);
    }

    [Fact]
    public async Task AnAppThatRedirects_IsNotFollowed_ButNamed()
    {
        Api.StatusAnswers.Enqueue(r =>
        {
            r.Redirect("https://veo.example.net/api/videos/job-1", permanent: true);
            return Task.CompletedTask;
        });

        var run = await CliRun.RunAsync(Api, "status", "job-1");

        Assert.Equal(ExitCodes.Unavailable, run.ExitCode);
        Assert.Equal($"veo: The app at {Origin} redirects to https://veo.example.net (301): pass that as --app.", run.Error.TrimEnd());
    }

    private string Origin => Api.AppUrl.GetLeftPart(UriPartial.Authority);

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
