using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using VeoFunctions.Functions;
using VeoFunctions.Http;
using VeoFunctions.Jobs;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Functions;

public sealed class DownloadVideoTests
{
    private const string JobId = "0123456789abcdef0123456789abcdef";

    private static readonly ArchivedVideo Video = new("videos", $"2026/03/01/{JobId}.mp4", new Uri($"http://127.0.0.1:10000/devstoreaccount1/videos/2026/03/01/{JobId}.mp4"), $"2026/03/01/{JobId}.json", 2515, "video/mp4");

    private readonly FakeDurableClient _durable = new();
    private readonly HttpRequest _request = TestRequests.Get($"/api/videos/{JobId}/video");

    private Task<IActionResult> GetAsync(string jobId = JobId) =>
        new DownloadVideo(TestLinks.Create()).RunAsync(_request, _durable.Object, jobId, CancellationToken.None);

    private void Add(OrchestrationRuntimeStatus status, JobProgress? progress = null, VideoJobResult? output = null) =>
        _durable.Instances[JobId] = new OrchestrationMetadata(nameof(VideoJobOrchestrator), JobId)
        {
            RuntimeStatus = status,
            SerializedCustomStatus = progress is null ? null : FakeDurableClient.Converter.Serialize(progress),
            SerializedOutput = output is null ? null : FakeDurableClient.Converter.Serialize(output),
            DataConverter = FakeDurableClient.Converter,
        };

    private static string ProblemDetail(IActionResult result, int status)
    {
        var problem = Assert.IsAssignableFrom<ObjectResult>(result);
        Assert.Equal(status, problem.StatusCode);
        Assert.Contains("application/problem+json", problem.ContentTypes);
        return Assert.IsAssignableFrom<ProblemDetails>(problem.Value).Detail!;
    }

    [Fact]
    public async Task ACompletedJob_RedirectsToAFreshReadLinkForItsBlob_ThatNoCacheKeeps()
    {
        Add(OrchestrationRuntimeStatus.Completed, output: new VideoJobResult("req-1", Video));

        var redirect = Assert.IsType<LinkRedirect>(await GetAsync());
        await redirect.ExecuteResultAsync(new ActionContext(_request.HttpContext, new Microsoft.AspNetCore.Routing.RouteData(), new Microsoft.AspNetCore.Mvc.Abstractions.ActionDescriptor()));

        var response = _request.HttpContext.Response;
        Assert.Equal(StatusCodes.Status302Found, response.StatusCode);
        var link = new Uri(response.Headers.Location.ToString());
        Assert.Equal(redirect.Target, link);
        Assert.Equal(Video.BlobUrl.AbsolutePath, link.AbsolutePath);
        Assert.Contains("sp=r", link.Query, StringComparison.Ordinal);
        Assert.Equal("no-store", response.Headers.CacheControl.ToString());
    }

    [Fact]
    public async Task AJobStillAtWork_Is409SayingWhereItIs()
    {
        Add(OrchestrationRuntimeStatus.Running, new JobProgress(JobPhase.Generating, "req-1"));

        Assert.Equal("The job has no video yet: it is generating.", ProblemDetail(await GetAsync(), StatusCodes.Status409Conflict));
    }

    [Fact]
    public async Task AFailedJob_Is409SayingItEndedWithoutAVideo()
    {
        Add(OrchestrationRuntimeStatus.Failed, new JobProgress(JobPhase.Failed, Error: "fal refused the prompt."));

        Assert.Equal("The job ended failed without a video.", ProblemDetail(await GetAsync(), StatusCodes.Status409Conflict));
    }

    [Fact]
    public async Task AnUnknownJob_Is404() =>
        Assert.Equal("No job has that id.", ProblemDetail(await GetAsync(), StatusCodes.Status404NotFound));
}
