using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VeoFunctions.Http;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>The documented request limit through real Kestrel, configured as the app configures the worker's.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class RequestLimitTests(Azurite azurite)
{
    private static readonly int Limit = new JobOptions().MaxRequestBytes;

    [Fact]
    public async Task TheHostsKestrel_RunsWithExactlyTheAppsCap()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);

        var kestrel = pipeline.Functions.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;

        Assert.Equal(KestrelRequestLimits.MaxRequestBodySize(Limit), kestrel.Limits.MaxRequestBodySize);
    }

    [Fact]
    public async Task ThreeImagesOfSevenAndAHalfMegabytesAsDataUris_AreAccepted_AndTheJobCompletes()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        string[] images = [.. Enumerable.Range(1, 3).Select(seed => TestImages.DataUri(TestImages.NoisyPng(1600, 1640, seed)))];
        Assert.All(images, image => Assert.InRange(image.Length * 3 / 4, 7_500_000, 8 * 1024 * 1024));

        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new { prompt = "Three big references", image_urls = images });
        Assert.InRange(body.Length, 30_000_001, Limit); // past Kestrel's default cap, within the documented limit
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        using var response = await pipeline.Http.PostAsync("/api/videos", content);

        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {text[..Math.Min(text.Length, 500)]}");
        string jobId = JsonDocument.Parse(text).RootElement.GetProperty("jobId").GetString()!;
        var done = await pipeline.WaitForJobAsync(jobId);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        Assert.Equal(3, pipeline.Fal.State.GetCount(FalEmulator.RequestKind.UploadPut));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ABodyOverTheLimit_Is413WithAProblem_WhetherItsLengthIsDeclaredOrItIsChunked(bool chunked)
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var body = new byte[Limit + (64 * 1024)];
        body.AsSpan().Fill((byte)' ');
        HttpContent content = chunked ? new StreamContent(new UnknownLength(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        using var response = await pipeline.Http.PostAsync("/api/videos", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(chunked, response.RequestMessage!.Headers.TransferEncodingChunked == true);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(413, problem.GetProperty("status").GetInt32());
        Assert.Contains($"{Limit} bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await pipeline.Durable.Client.GetAllInstancesAsync().ToListAsync());
    }

    /// <summary>A body stream that cannot tell its length, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLength(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
