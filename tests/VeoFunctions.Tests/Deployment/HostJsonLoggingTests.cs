using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Deployment;

/// <summary>
/// The Functions host logs and tracks requests itself, where the worker's redaction never reaches: the host's
/// categories that write a request's URL (with <c>?code=</c> function keys, <c>?token=</c> webhook tokens and the
/// blobs_extension key of Event Grid deliveries) stay at Warning, and the host tracks no dependencies (its call to
/// the worker carries the same URL; the worker tracks its own calls, queries removed).
/// </summary>
public sealed class HostJsonLoggingTests
{
    private static readonly System.Text.Json.JsonElement Logging = RepositoryFiles.HostJson().GetProperty("logging");

    [Theory]
    [InlineData("Microsoft.AspNetCore.Hosting.Diagnostics")] // "Request starting … GET http://…/api/videos/x?code=…"
    [InlineData("Microsoft.AspNetCore.Mvc")] // result lines, the download redirect's SAS among them
    [InlineData("Yarp")] // the host's forwarding of each HTTP request to the worker: "Proxying to http://…?code=…"
    [InlineData("System.Net.Http.HttpClient")] // the host's own HttpClient request lines
    public void AHostCategoryThatWritesRequestUrls_StaysAtWarning(string category) =>
        Assert.Equal("Warning", Logging.GetProperty("logLevel").GetProperty(category).GetString());

    [Fact]
    public void TheHost_TracksNoDependencies() =>
        Assert.False(Logging.GetProperty("applicationInsights").GetProperty("enableDependencyTracking").GetBoolean());
}
