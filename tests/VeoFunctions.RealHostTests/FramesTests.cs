using VeoFunctions.RealHostTests.Infrastructure;

namespace VeoFunctions.RealHostTests;

/// <summary>
/// The comparison QuickstartTests makes between a frame of the docs and a run (no host needed): another run of the same
/// command passes whatever its ids, times and the poll's timing, and a frame drawn by hand instead of captured fails.
/// </summary>
public sealed class FramesTests
{
    private static string WatchFrame() => Frames.In(Path.Combine("docs", "cli.md"), f => f.Contains("Idempotency-Key:", StringComparison.Ordinal));

    [Fact]
    public void AnotherRunOfTheSameCommand_ShowsTheFrame()
    {
        // Other ids, times, sizes of the same order, and a phase seen twice by a slower poll.
        string another = WatchFrame()
            .Replace("veo-0ba5eb15a3eb37dc4946ea71ea7024a4", "veo-348f1d7d6f733c8c61e328adf38fc86f", StringComparison.Ordinal)
            .Replace("k2abfda5edb00816ef58edc84ad33c81", "k70d64d65246b83e5d046fbcf1ae438c", StringComparison.Ordinal)
            .Replace("258894ef-3261-45e0-9d18-e686c1a3c2bf", "75ef582a-5004-4c09-990c-07592af66181", StringComparison.Ordinal)
            .Replace("4.3s", "14s", StringComparison.Ordinal)
            .Replace("  0:00 uploading", "  0:01 validating\n  0:03 uploading", StringComparison.Ordinal)
            .Replace("…/ball.mp4", Repository.Root + "/ball.mp4", StringComparison.Ordinal);

        Frames.AssertShows(WatchFrame(), another, "the watch");
    }

    [Fact]
    public void ARunWhosePollsNeverCaughtFalsQueuePosition_ShowsTheFrame()
    {
        // The emulator's queue lasts under a second: a busy run prints "queued" without the position (seen in CI).
        Assert.Contains("queued · position", WatchFrame(), StringComparison.Ordinal);
        string another = System.Text.RegularExpressions.Regex.Replace(WatchFrame(), @" · position \d+ in fal's queue", "");

        Frames.AssertShows(WatchFrame(), another, "the watch");
    }

    [Fact]
    public void EveryTerminalFrameOfTheDocs_IsOneQuickstartTestsComparesWithARun()
    {
        // A ```text block is a terminal's output: QuickstartTests holds these three against a real run. A new one must be
        // held there too (and counted here); a diagram takes a plain ``` fence.
        var frames = Frames.All();
        Assert.True(frames.Count == 3, "Frames (```text blocks) found: " + string.Join(", ", frames.Select(f => f.File)));
    }

    [Fact]
    public void AFrameDrawnByHand_IsNotWhatTheRunPrinted()
    {
        // docs/cli.md's frame before it was captured: fal's emulator never shows generating, logs or trouble.
        string drawn = "Idempotency-Key: veo-0ba5eb15a3eb37dc4946ea71ea7024a4\n  0:00 validating\n  0:14 generating\n       fal: Starting Veo 3.1\n  1:27 completed\n"
            + "Saved …/ball.mp4 (2.5 KB, 2515 bytes as archived).";

        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Frames.AssertShows(drawn, WatchFrame(), "the watch"));
    }
}
