using System.Text.Json;

namespace VeoFunctions.RealHostTests.Infrastructure;

/// <summary>Jobs made of the repository's sample images, as a user's first job is.</summary>
public static class Samples
{
    public static string DataUri(string file) =>
        $"data:{(file.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : "image/jpeg")};base64,{Convert.ToBase64String(File.ReadAllBytes(Path.Combine(Repository.Root, "samples", file)))}";

    public static object Job(string prompt) => new
    {
        prompt,
        image_urls = new[] { DataUri("meadow.png"), DataUri("ball.jpg") },
        resolution = "720p",
        generate_audio = false,
    };

    /// <summary>POSTs a job and returns its id, asserting the 202.</summary>
    public static async Task<string> StartAsync(RealHostApp app, object job, string? idempotencyKey = null)
    {
        using var response = await app.PostJobAsync(job, idempotencyKey);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 202, $"POST /api/videos: {(int)response.StatusCode} {text[..Math.Min(500, text.Length)]}");
        return JsonDocument.Parse(text).RootElement.GetProperty("jobId").GetString()!;
    }

    /// <summary>The archived video's bytes, fetched as a caller does: GET …/video, then its redirect.</summary>
    public static async Task<byte[]> DownloadAsync(RealHostApp app, string jobId)
    {
        using var response = await app.Http.SendAsync(app.WithKey(HttpMethod.Get, $"/api/videos/{jobId}/video"));
        Assert.True((int)response.StatusCode is 302 or 307, $"GET /video: {(int)response.StatusCode}");
        using var blob = new HttpClient();
        return await blob.GetByteArrayAsync(response.Headers.Location);
    }

    /// <summary>What fal said its video was (the emulator's output for the request).</summary>
    public static JsonElement FalVideo(RealHostApp app, string requestId) =>
        JsonDocument.Parse(app.Fal.State.GetSubmission(requestId)!.OutputJson!).RootElement.GetProperty("video").Clone();

}
