using System.Net;
using System.Text.Json.Nodes;

namespace FalEmulator.Tests;

public class StatusStreamTests
{
    [Fact]
    public async Task Status_stream_sends_sse_events_until_completed()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var client = Fal.Client(emulator);
        var submitted = await Fal.SubmitOkAsync(client, Fal.Input());
        using var response = await client.GetAsync((string)submitted["status_url"]! + "/stream?logs=1", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => JsonNode.Parse(e["data: ".Length..])!)
            .ToList();
        Assert.True(events.Count >= 2);
        Assert.Equal("COMPLETED", (string?)events[^1]["status"]);
        Assert.Contains(events, e => (string?)e["status"] is "IN_QUEUE" or "IN_PROGRESS");
    }
}
