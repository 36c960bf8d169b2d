using Spectre.Console.Testing;
using Veo.Cli.Api;
using Veo.Cli.Commands;
using Veo.Cli.Images;
using Veo.Cli.Rendering;

namespace Veo.Cli.Tests;

/// <summary>The views on their own, at a fixed moment, with Spectre's test console.</summary>
public sealed class RenderingTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static JobStatus Running(params string[] logs) => new(
        "job-r", "generating", Start, Start.AddSeconds(20), "fal-1", null, null, null,
        [new("validating", Start), new("queued", Start.AddSeconds(3)), new("generating", Start.AddSeconds(15))],
        "fal's status API did not answer; asking again.", logs, null, null);

    private static string Show(JobStatus status, DateTimeOffset now, string? trouble = null)
    {
        var console = new TestConsole().Width(100);
        console.Write(JobView.Render(status, now, trouble));
        return console.Output;
    }

    [Fact]
    public void JobView_ShowsEachPhase_WithTheRunningOneCountingUpToNow()
    {
        string text = Show(Running(), Start.AddSeconds(75));

        Assert.Matches(@"validating\s+0:00\s+3\.0s", text);
        Assert.Matches(@"queued\s+0:03\s+12s", text);
        Assert.Matches(@"generating\s+0:15\s+1m 00s …", text);
        Assert.Matches(@"elapsed\s+1m 15s", text);
        Assert.Matches(@"fal request\s+fal-1", text);
    }

    [Fact]
    public void JobView_ShowsOnlyTheLatestLogLines()
    {
        string[] logs = Enumerable.Range(1, 9).Select(i => $"log line {i}").ToArray();

        string text = Show(Running(logs), Start.AddSeconds(30));

        Assert.DoesNotContain("log line 3", text, StringComparison.Ordinal);
        Assert.Contains("log line 4", text, StringComparison.Ordinal);
        Assert.Contains("log line 9", text, StringComparison.Ordinal);
    }

    [Fact]
    public void JobView_ShowsTroubleErrorAndNote_EscapedAsText()
    {
        var status = Running() with { Phase = "failed", Error = "Bad [input] here.", Note = "Nothing was billed." };

        string text = Show(status, Start.AddSeconds(30), trouble: "The app at x answered 503.");

        Assert.Contains("trouble: fal's status API did not answer; asking again.", text, StringComparison.Ordinal);
        Assert.Contains("not answering: The app at x answered 503.", text, StringComparison.Ordinal);
        Assert.Contains("error: Bad [input] here.", text, StringComparison.Ordinal);
        Assert.Contains("note: Nothing was billed.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void JobView_WithoutATimeline_StillShowsPhaseAndElapsed()
    {
        var status = Running() with { Timeline = null, Phase = "queued", QueuePosition = 7 };

        string text = Show(status, Start.AddSeconds(42));

        Assert.Contains("queued · position 7 in fal's queue", text, StringComparison.Ordinal);
        Assert.Matches(@"elapsed\s+42s", text);
        Assert.DoesNotContain("began", text, StringComparison.Ordinal);
    }

    [Fact]
    public void JobView_ClockBehindTheApp_ShowsNoNegativeTimes()
    {
        string text = Show(Running(), Start.AddSeconds(-5));

        Assert.DoesNotContain("-", text.Replace("job-r", string.Empty, StringComparison.Ordinal).Replace("fal-1", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Matches(@"elapsed\s+0\.0s", text);
    }

    [Fact]
    public void ProgressLog_PrintsEachLogLineOnce_AndATroubleWhenItChanges()
    {
        var console = new TestConsole().Width(100);
        var log = new ProgressLog(console);

        log.Update(Running("a"), null);
        log.Update(Running("a", "b"), null);
        log.Update(null, "The app at x answered 502.");
        log.Update(null, "The app at x answered 502.");

        Assert.Equal(
            ["  0:00 validating", "  0:03 queued", "  0:15 generating", "       fal: a", "       trouble: fal's status API did not answer; asking again.", "       fal: b", "       not answering: The app at x answered 502."],
            console.Lines.Select(l => l.TrimEnd()));
    }

    [Theory]
    [InlineData(0.04, "0.0s")]
    [InlineData(9.99, "9.9s")]
    [InlineData(10, "10s")]
    [InlineData(65, "1m 05s")]
    [InlineData(3725, "1h 02m")]
    [InlineData(-3, "0.0s")]
    public void Readable_Duration(double seconds, string expected) =>
        Assert.Equal(expected, Readable.Duration(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData(512, "512 B")]
    [InlineData(2515, "2.5 KB")]
    [InlineData(8 * 1024 * 1024, "8 MB")]
    public void Readable_Bytes(long bytes, string expected) => Assert.Equal(expected, Readable.Bytes(bytes));

    [Theory]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, "PNG")]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xDB }, "JPEG")]
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50 }, "WebP")]
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x41, 0x56, 0x45 }, null)]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, null)]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38 }, null)]
    public void ImageKind_IsJudgedByTheFirstBytes(byte[] head, string? expected) =>
        Assert.Equal(expected, ImageKind.Sniff(head)?.Name);

    [Theory]
    [InlineData("image_urls[0]", "--image a.png")]
    [InlineData("image_urls[5]", "--image #6")]
    [InlineData("image_urls", "--image")]
    [InlineData("safety_tolerance", "--safety")]
    [InlineData("something_new", "something_new")]
    public void CreateErrors_NameTheOptionsThatSetTheField(string field, string expected) =>
        Assert.Equal(expected, CreateCommand.OptionFor(field, ["a.png"]));
}
