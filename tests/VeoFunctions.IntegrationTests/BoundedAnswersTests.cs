using System.Net;
using System.Text;
using System.Text.Json;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Manifests;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// Unbounded input gets a bounded answer at both doors: a document of 300,000 unknown fields (about 3.9 MB) is
/// answered with at most 50 problems and the count of the rest, in a few kilobytes, and starts nothing.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class BoundedAnswersTests(Azurite azurite)
{
    private const int FewKilobytes = 16 * 1024;

    private static byte[] ThreeHundredThousandUnknownFields()
    {
        var text = new StringBuilder("{\"prompt\":\"A fox\",\"image_urls\":[\"https://images.example/fox.png\"]");
        for (int i = 0; i < 300_000; i++)
        {
            text.Append(",\"field").Append(i).Append("\":1");
        }

        return Encoding.UTF8.GetBytes(text.Append('}').ToString());
    }

    [Fact]
    public async Task AnHttpBodyOf300000UnknownFields_Gets400OfAFewKilobytes()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        byte[] body = ThreeHundredThousandUnknownFields();
        Assert.InRange(body.Length, 3_500_000, 5_000_000);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        using var response = await pipeline.Http.PostAsync("/api/videos", content);

        byte[] answer = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.InRange(answer.Length, 1, FewKilobytes);
        var problem = JsonDocument.Parse(answer).RootElement;
        Assert.Equal(50, problem.GetProperty("errors").EnumerateObject().Sum(e => e.Value.GetArrayLength()));
        Assert.Equal(299_950, problem.GetProperty("unlistedErrors").GetInt32());
        Assert.Empty(pipeline.Fal.State.Submissions);
    }

    [Fact]
    public async Task AManifestOf300000UnknownFields_GetsAnErrorFileOfAFewKilobytes()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);

        await door.DeliverAsync(await ManifestDoor.UploadAsync(door.Jobs, "huge/unknown.json", ThreeHundredThousandUnknownFields()));

        var file = (await door.Jobs.GetBlobClient(ManifestFiles.ErrorName("huge/unknown.json")).DownloadContentAsync()).Value.Content.ToArray();
        Assert.InRange(file.Length, 1, FewKilobytes);
        var problems = JsonDocument.Parse(file).RootElement.GetProperty("problems").EnumerateArray().ToList();
        Assert.Equal(51, problems.Count);
        Assert.StartsWith("299950 more problem(s) not listed", problems[50].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Empty(await door.InstancesAsync());
    }
}
