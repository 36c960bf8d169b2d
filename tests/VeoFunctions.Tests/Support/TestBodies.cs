using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using VeoFunctions.Images;
using VeoFunctions.Jobs;
using VeoFunctions.Tests.Images;

namespace VeoFunctions.Tests.Support;

/// <summary>Request bodies for <c>POST /api/videos</c> and the parser they are checked by.</summary>
internal static class TestBodies
{
    public const string ImageUrl = "https://example.com/a.png";

    /// <summary>A Standard Webhooks secret for tests (the spec's example).</summary>
    public const string SigningSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    public static VideoRequestParser Parser(JobOptions? jobs = null, ImageOptions? images = null, string? signingSecret = SigningSecret) =>
        new(Options.Create(jobs ?? Jobs()), Options.Create(images ?? new ImageOptions()), Options.Create(new VeoFunctions.Callbacks.CallbackOptions { SigningSecret = signingSecret }));

    public static JobOptions Jobs() => new() { PublicBaseUrl = new("https://app.example") };

    /// <summary>A valid body: a prompt and one https image URL.</summary>
    public static JsonObject Valid() => new()
    {
        ["prompt"] = "A red fox runs through fresh snow at dawn.",
        ["image_urls"] = new JsonArray(ImageUrl),
    };

    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    public static string PngDataUri(int width = 4, int height = 3) => "data:image/png;base64," + Convert.ToBase64String(TestImages.Png(width, height));

    /// <summary>A real (empty) ZIP archive: the classic impostor behind an image extension.</summary>
    public static string ZipDataUri()
    {
        var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(archive.CreateEntry("a.txt").Open());
            writer.Write("not an image");
        }

        return "data:image/png;base64," + Convert.ToBase64String(zip.ToArray());
    }

    /// <summary>A PNG cut off inside its header.</summary>
    public static string TruncatedPngDataUri() => "data:image/png;base64," + Convert.ToBase64String(TestImages.Png(4, 3)[..20]);
}
