using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Moq;
using VeoFunctions.Functions;
using VeoFunctions.Jobs;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Functions;

public sealed class GetVideoJobTests
{
    private const string JobId = "0123456789abcdef0123456789abcdef";

    private readonly FakeDurableClient _durable = new();

    private Task<IActionResult> GetAsync(string jobId) =>
        new GetVideoJob(TestLinks.Create()).RunAsync(TestRequests.Get($"/api/videos/{jobId}"), _durable.Object, jobId, CancellationToken.None);

    private static void AssertNotFound(IActionResult result)
    {
        var problem = Assert.IsAssignableFrom<ObjectResult>(result);
        Assert.Equal(StatusCodes.Status404NotFound, problem.StatusCode);
        Assert.Equal(StatusCodes.Status404NotFound, Assert.IsAssignableFrom<ProblemDetails>(problem.Value).Status);
        Assert.Contains("application/problem+json", problem.ContentTypes);
    }

    private void Add(string name, OrchestrationRuntimeStatus status, JobProgress? progress = null) =>
        _durable.Instances[JobId] = new OrchestrationMetadata(name, JobId)
        {
            RuntimeStatus = status,
            CreatedAt = DateTimeOffset.UnixEpoch,
            LastUpdatedAt = DateTimeOffset.UnixEpoch,
            SerializedCustomStatus = progress is null ? null : FakeDurableClient.Converter.Serialize(progress),
            DataConverter = FakeDurableClient.Converter,
        };

    [Fact]
    public async Task AnUnknownId_Is404()
    {
        AssertNotFound(await GetAsync(JobId));
        _durable.Mock.Verify(c => c.GetInstanceAsync(JobId, true, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Theory]
    [InlineData("ABCDEF")]
    [InlineData("../x")]
    [InlineData("")]
    [InlineData("abc-def")]
    [InlineData("abc def")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefa")]
    public async Task AnIllFormedId_Is404WithoutAskingTheDurableClient(string jobId)
    {
        AssertNotFound(await GetAsync(jobId));
        _durable.Mock.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task AnIdOfExactly64Characters_IsLookedUp()
    {
        string jobId = new('a', 64);

        await GetAsync(jobId);

        _durable.Mock.Verify(c => c.GetInstanceAsync(jobId, true, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task AnInstanceOfAnotherOrchestrator_Is404()
    {
        Add("SomeOtherOrchestrator", OrchestrationRuntimeStatus.Running);

        AssertNotFound(await GetAsync(JobId));
    }

    [Fact]
    public async Task AJob_Is200WithItsStatusDocument()
    {
        Add(nameof(VideoJobOrchestrator), OrchestrationRuntimeStatus.Running, new JobProgress(JobPhase.Queued, "req-1", 2));

        var result = await GetAsync(JobId);

        var ok = Assert.IsAssignableFrom<OkObjectResult>(result);
        Assert.Equal(StatusCodes.Status200OK, ok.StatusCode);
        Assert.Equal(new JobStatus(JobId, "queued", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "req-1", 2, null, null), ok.Value);
        var json = TestRequests.BodyOf(result);
        Assert.Equal(JobId, json.GetProperty("jobId").GetString());
        Assert.Equal("queued", json.GetProperty("phase").GetString());
    }

    [Fact]
    public async Task ACompletedJob_CarriesAFreshReadOnlyDownloadLinkToItsBlob()
    {
        var video = new ArchivedVideo("videos", $"2026/03/01/{JobId}.mp4", new Uri($"http://127.0.0.1:10000/devstoreaccount1/videos/2026/03/01/{JobId}.mp4"), $"2026/03/01/{JobId}.json", 2515, "video/mp4");
        _durable.Instances[JobId] = new OrchestrationMetadata(nameof(VideoJobOrchestrator), JobId)
        {
            RuntimeStatus = OrchestrationRuntimeStatus.Completed,
            SerializedOutput = FakeDurableClient.Converter.Serialize(new VideoJobResult("req-1", video)),
            DataConverter = FakeDurableClient.Converter,
        };

        var json = TestRequests.BodyOf(await GetAsync(JobId)).GetProperty("video");

        var link = new Uri(json.GetProperty("downloadUrl").GetString()!);
        Assert.Equal(video.BlobUrl.AbsolutePath, link.AbsolutePath);
        Assert.Contains("sp=r", link.Query, StringComparison.Ordinal);
        Assert.True(json.GetProperty("downloadUrlExpiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(59));
    }
}
