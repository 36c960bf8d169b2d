using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Testing;

namespace FalEmulator.Tests;

public class StorageAndVideoTests
{
    [Fact]
    public async Task Initiate_put_get_round_trips_bytes_and_content_type_with_ranges()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var client = Fal.Client(emulator);
        using var initiate = await client.PostAsync(
            "storage/upload/initiate?storage_type=fal-cdn-v3",
            new StringContent("""{"content_type":"image/png","file_name":"ref-1.png"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, initiate.StatusCode);
        var body = await Fal.JsonAsync(initiate);
        var uploadUrl = (string)body["upload_url"]!;
        var fileUrl = (string)body["file_url"]!;
        Assert.StartsWith(emulator.BaseUrl + "/", uploadUrl, StringComparison.Ordinal);
        Assert.StartsWith(emulator.BaseUrl + "/files/", fileUrl, StringComparison.Ordinal);
        Assert.EndsWith("/ref-1.png", fileUrl, StringComparison.Ordinal);

        using var anonymous = new HttpClient();
        using var missing = await anonymous.GetAsync(fileUrl);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var bytes = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var put = await anonymous.PutAsync(uploadUrl, content);
        Assert.True(put.IsSuccessStatusCode);

        using var get = await anonymous.GetAsync(fileUrl);
        Assert.Equal("image/png", get.Content.Headers.ContentType!.MediaType);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync());

        using var range = new HttpRequestMessage(HttpMethod.Get, fileUrl);
        range.Headers.Range = new RangeHeaderValue(10, 19);
        using var partial = await anonymous.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[10..20], await partial.Content.ReadAsByteArrayAsync());

        // The uploaded file is a valid image_url for a generation.
        var submitted = await Fal.SubmitOkAsync(client, Fal.Input("uses upload", fileUrl));
        await Fal.WaitCompletedAsync(client, (string)submitted["status_url"]!);
        using var result = await client.GetAsync((string)submitted["response_url"]!);
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);

        Assert.Equal(1, emulator.State.GetCount(RequestKind.UploadInitiate));
        Assert.Equal(1, emulator.State.GetCount(RequestKind.UploadPut));
        Assert.Equal(3, emulator.State.GetCount(RequestKind.FileGet));
    }

    [Fact]
    public async Task Padded_video_is_a_valid_mp4_box_structure_of_the_requested_size()
    {
        const long padding = 3_000_000;
        var options = Fal.FastOptions();
        options.VideoPaddingBytes = padding;
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        using var client = Fal.Client(emulator);
        var submitted = await Fal.SubmitOkAsync(client, Fal.Input());
        await Fal.WaitCompletedAsync(client, (string)submitted["status_url"]!);
        using var result = await client.GetAsync((string)submitted["response_url"]!);
        var video = (await Fal.JsonAsync(result))["video"]!;

        var bytes = await client.GetByteArrayAsync((string)video["url"]!);
        Assert.Equal((long)video["file_size"]!, bytes.LongLength);

        var boxes = new List<(string Type, long Size)>();
        long offset = 0;
        while (offset < bytes.LongLength)
        {
            var size = (long)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)offset));
            var type = Encoding.ASCII.GetString(bytes, (int)offset + 4, 4);
            Assert.True(size >= 8, $"box {type} has size {size}");
            boxes.Add((type, size));
            offset += size;
        }

        Assert.Equal(bytes.LongLength, offset);
        Assert.Equal("ftyp", boxes[0].Type);
        Assert.Contains(boxes, b => b.Type == "moov");
        Assert.Contains(boxes, b => b.Type == "mdat");
        Assert.Equal(("free", padding), boxes[^1]);
        Assert.Equal(boxes.Take(boxes.Count - 1).Sum(b => b.Size) + padding, bytes.LongLength);
    }

    [Theory]
    [InlineData("X-Fal-Object-Lifecycle")]
    [InlineData("x-fal-object-lifecycle-preference")]
    public async Task Upload_lifecycle_header_is_recorded_and_the_file_answers_404_once_it_expires(string header)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 20, 9, 0, 0, TimeSpan.Zero));
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FakeClockOptions(time));
        using var client = Fal.Client(emulator);
        const string lifecycle = """{"expiration_duration_seconds":3600,"initial_acl":{"default":"allow","rules":[]}}""";
        var fileUrl = await Fal.UploadAsync(client, [1, 2, 3], configure: m => m.Headers.Add(header, lifecycle));
        var fileId = new Uri(fileUrl).Segments[2].TrimEnd('/');

        using var control = new HttpClient { BaseAddress = new Uri(emulator.ControlUrl + "/") };
        var info = (await control.GetFromJsonAsync<JsonObject>("files/" + fileId))!;
        Assert.Equal(lifecycle, (string?)info["lifecycle"]);
        Assert.Equal("2026-08-20T10:00:00+00:00", (string?)info["expires_at"]);
        Assert.Single((await control.GetFromJsonAsync<JsonArray>("files"))!);

        using var anonymous = new HttpClient();
        time.Advance(TimeSpan.FromSeconds(3599));
        using var alive = await anonymous.GetAsync(fileUrl);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        time.Advance(TimeSpan.FromSeconds(1));
        using var expired = await anonymous.GetAsync(fileUrl);
        Assert.Equal(HttpStatusCode.NotFound, expired.StatusCode);
        Assert.True(emulator.State.GetFile(fileId)!.Expired);
    }

    [Fact]
    public async Task Upload_without_a_lifecycle_never_expires_and_a_malformed_one_is_refused()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 20, 9, 0, 0, TimeSpan.Zero));
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FakeClockOptions(time));
        using var client = Fal.Client(emulator);
        var fileUrl = await Fal.UploadAsync(client, [1, 2, 3]);
        Assert.Null(emulator.State.StoredFiles.Single().ExpiresAt);
        time.Advance(TimeSpan.FromDays(400));
        using var anonymous = new HttpClient();
        using var still = await anonymous.GetAsync(fileUrl);
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);

        using var bad = new HttpRequestMessage(HttpMethod.Post, "storage/upload/initiate?storage_type=fal-cdn-v3") { Content = new StringContent("{}") };
        bad.Headers.Add("X-Fal-Object-Lifecycle", """{"expiration_duration_seconds":"soon"}""");
        using var refused = await client.SendAsync(bad);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    [Fact]
    public async Task Submit_lifecycle_preference_makes_the_output_video_expire()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 20, 9, 0, 0, TimeSpan.Zero));
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FakeClockOptions(time));
        using var client = Fal.Client(emulator);
        using var submit = await Fal.SubmitAsync(client, Fal.Input(), configure: m => m.Headers.Add("x-fal-object-lifecycle-preference", """{"expiration_duration_seconds":60}"""));
        var id = (string)(await Fal.JsonAsync(submit))["request_id"]!;
        var done = await emulator.State.WaitForCompletionAsync(id, Patience.Condition);
        var url = (string)JsonNode.Parse(done.OutputJson!)!["video"]!["url"]!;

        using var fresh = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        time.Advance(TimeSpan.FromSeconds(60));
        using var gone = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }
}
