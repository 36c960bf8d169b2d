using System.Net;
using System.Text.Json;
using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;

namespace VeoFunctions.IntegrationTests;

/// <summary>POST → 202 → images to fal → submit → signed webhook → archived video, on real parts.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class PipelineTests(Azurite azurite)
{
    private static object Job(params string[] images) => new
    {
        prompt = "A chimpanzee in overalls plays with butterflies",
        image_urls = images,
        aspect_ratio = "9:16",
        resolution = "1080p",
        generate_audio = false,
        seed = 42,
    };

    [Fact]
    public async Task DataUriImages_EndAsArchivedVideo_WithMetadataAndManifest()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);

        string jobId = await pipeline.StartJobAsync(Job(TestImages.DataUri(TestImages.Png(32, 24)), TestImages.DataUri(TestImages.Png(8, 8))));
        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var submission = Assert.Single(pipeline.Fal.State.Submissions);
        var input = JsonDocument.Parse(submission.InputJson).RootElement;
        Assert.Equal("9:16", input.GetProperty("aspect_ratio").GetString());
        Assert.Equal(42, input.GetProperty("seed").GetInt64());
        Assert.All(input.GetProperty("image_urls").EnumerateArray(), url => Assert.StartsWith(pipeline.Fal.BaseUrl + "/files/", url.GetString()));
        Assert.Equal(2, pipeline.Fal.State.GetCount(RequestKind.UploadPut));
        Assert.Contains($"/api/fal/webhook?job={jobId}", submission.WebhookUrl);

        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("completed", status.GetProperty("phase").GetString());
        Assert.Equal(submission.RequestId, status.GetProperty("falRequestId").GetString());
        string blobName = status.GetProperty("video").GetProperty("blobName").GetString()!;
        Assert.Matches($@"^\d{{4}}/\d{{2}}/\d{{2}}/{jobId}\.mp4$", blobName);

        var blob = pipeline.Videos.GetBlobClient(blobName);
        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal("video/mp4", properties.ContentType);
        Assert.Equal(jobId, properties.Metadata["jobid"]);
        Assert.Equal(submission.RequestId, properties.Metadata["falrequestid"]);
        Assert.Equal("42", properties.Metadata["seed"]);
        var video = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        string falVideoUrl = JsonDocument.Parse(pipeline.Fal.State.GetSubmission(submission.RequestId)!.OutputJson!).RootElement.GetProperty("video").GetProperty("url").GetString()!;
        using var raw = new HttpClient();
        Assert.Equal(await raw.GetByteArrayAsync(falVideoUrl), video);

        var manifest = JsonDocument.Parse((await pipeline.Videos.GetBlobClient(Path.ChangeExtension(blobName, ".json")).DownloadContentAsync()).Value.Content.ToString()).RootElement;
        Assert.Equal(jobId, manifest.GetProperty("jobId").GetString());
        Assert.Equal(submission.RequestId, manifest.GetProperty("falRequestId").GetString());
        Assert.Equal(video.Length, manifest.GetProperty("bytes").GetInt64());
        Assert.Equal("1080p", manifest.GetProperty("input").GetProperty("resolution").GetString());
        Assert.True(manifest.GetProperty("timings").GetProperty("archivedAt").GetDateTimeOffset() >= manifest.GetProperty("timings").GetProperty("submittedAt").GetDateTimeOffset());
    }
}
