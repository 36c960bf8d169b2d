using System.Net;
using VeoFunctions.Testing;

namespace FalEmulator.Tests;

public class CancelTests
{
    private static EmulatorOptions Running()
    {
        var options = Fal.FastOptions();
        options.QueueTime = TimeSpan.Zero;
        options.GenerationTime = TimeSpan.FromMilliseconds(1500);
        return options;
    }

    [Fact]
    public async Task Cancel_while_in_progress_by_default_only_signals_and_the_request_completes_billed_with_an_ok_webhook()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Running());
        await using var sink = await WebhookSink.StartAsync();
        using var client = Fal.Client(emulator);
        var submitted = await Fal.RunningAsync(emulator, client, Fal.Input(), sink.Url);
        var id = (string)submitted["request_id"]!;

        await Fal.CancelRequestedAsync(client, submitted);

        var status = await Fal.WaitCompletedAsync(client, (string)submitted["status_url"]!);
        Assert.Null(status["error"]);
        using var result = await client.GetAsync((string)submitted["response_url"]!);
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        var info = emulator.State.GetSubmission(id)!;
        Assert.True(info.Billed);
        Assert.True(info.CancelRequested);
        Assert.NotNull(info.CancelRequestedAt);
        Assert.Null(info.ErrorType);
        await Poll.UntilAsync(() => !sink.Received.IsEmpty);
        Assert.Equal("OK", (string?)sink.Received.Single().Json["status"]);
    }

    [Fact]
    public async Task Cancel_while_in_progress_in_stop_mode_set_over_the_control_api_ends_it_as_client_cancelled_unbilled()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Running());
        await using var sink = await WebhookSink.StartAsync();
        using var config = await Fal.ControlAsync(emulator, "config", """{"cancel_in_progress":"stop"}""");
        Assert.Equal(HttpStatusCode.OK, config.StatusCode);
        Assert.Equal("stop", (string?)(await Fal.JsonAsync(config))["cancel_in_progress"]);
        using var client = Fal.Client(emulator);
        var submitted = await Fal.RunningAsync(emulator, client, Fal.Input(), sink.Url);
        var id = (string)submitted["request_id"]!;

        await Fal.CancelRequestedAsync(client, submitted);

        Assert.Equal("client_cancelled", (string?)(await Fal.WaitCompletedAsync(client, (string)submitted["status_url"]!))["error_type"]);
        using var result = await client.GetAsync((string)submitted["response_url"]!);
        Assert.Equal(499, (int)result.StatusCode);
        var info = emulator.State.GetSubmission(id)!;
        Assert.False(info.Billed);
        Assert.True(info.CancelRequested);
        await Poll.UntilAsync(() => !sink.Received.IsEmpty);
        Assert.Equal("ERROR", (string?)sink.Received.Single().Json["status"]);
    }

    [Theory]
    [InlineData(CancelInProgressMode.Signal)]
    [InlineData(CancelInProgressMode.Stop)]
    public async Task Cancel_of_a_queued_request_removes_it_in_either_mode(CancelInProgressMode mode)
    {
        var options = Fal.FastOptions();
        options.QueueTime = TimeSpan.FromSeconds(30);
        options.CancelInProgress = mode;
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        await using var sink = await WebhookSink.StartAsync();
        using var client = Fal.Client(emulator);
        var submitted = await Fal.SubmitOkAsync(client, Fal.Input(), sink.Url);

        await Fal.CancelRequestedAsync(client, submitted);

        Assert.Equal("client_cancelled", (string?)(await Fal.WaitCompletedAsync(client, (string)submitted["status_url"]!))["error_type"]);
        var info = emulator.State.GetSubmission((string)submitted["request_id"]!)!;
        Assert.Null(info.StartedAt);
        Assert.False(info.Billed);
        Assert.True(info.CancelRequested);
        await Poll.UntilAsync(() => !sink.Received.IsEmpty);
        Assert.Equal("ERROR", (string?)sink.Received.Single().Json["status"]);
    }

    [Fact]
    public async Task Config_refuses_an_unknown_cancel_mode_and_keeps_the_current_one()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var refused = await Fal.ControlAsync(emulator, "config", """{"cancel_in_progress":"pause"}""");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(CancelInProgressMode.Signal, emulator.State.Options.CancelInProgress);
    }
}
