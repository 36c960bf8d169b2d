using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

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
}
