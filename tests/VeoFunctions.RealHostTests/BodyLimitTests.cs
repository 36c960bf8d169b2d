using System.Net;
using System.Text.Json;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.RealHostTests.Infrastructure;

namespace VeoFunctions.RealHostTests;

/// <summary>
/// The request limits as the host applies them: the host's own Kestrel stands in front of the worker's, and its
/// default cap (about 30 MB) is what refused big bodies before the app raised it.
/// </summary>
[Trait("Category", "RealHost")]
[Collection(RealHostCollection.Name)]
public sealed class BodyLimitTests(RealHostFixture host)
{
    /// <summary>The documented cap (Jobs:MaxRequestBytes).</summary>
    private const int Limit = 40 * 1024 * 1024;

    [SkippableFact]
    public async Task ThreeImagesOfSevenAndAHalfMegabytesAsDataUris_AreAccepted_AndTheJobCompletes()
    {
        var app = host.Require();
        string[] images = [.. Enumerable.Range(1, 3).Select(seed => TestImages.DataUri(TestImages.NoisyPng(1600, 1640, seed)))];
        Assert.All(images, image => Assert.InRange(image.Length * 3 / 4, 7_500_000, 8 * 1024 * 1024));
        var body = new { prompt = "Three big references", image_urls = images };
        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(body).Length, 30_000_001, Limit); // past Kestrel's default cap

        string jobId = await Samples.StartAsync(app, body);

        var status = await app.WaitForEndAsync(jobId);
        Assert.True(status.GetProperty("phase").GetString() == "completed", status.ToString());
    }

    [SkippableFact]
    public async Task ABodyOf41Megabytes_Is413()
    {
        var app = host.Require();
        var body = new byte[41 * 1024 * 1024];
        body.AsSpan().Fill((byte)' ');
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        using var response = await app.Http.SendAsync(app.WithKey(HttpMethod.Post, "/api/videos", content));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
