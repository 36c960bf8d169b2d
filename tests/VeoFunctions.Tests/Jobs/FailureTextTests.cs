using Microsoft.DurableTask;
using VeoFunctions.Jobs;

namespace VeoFunctions.Tests.Jobs;

/// <summary>What a caller reads in <c>lastError</c> when a step kept failing: clear, bounded, no storage XML or hosts.</summary>
public sealed class FailureTextTests
{
    private const string StorageFailure = """
        Service request failed.
        Status: 503 (Server Busy)
        ErrorCode: ServerBusy

        Content:
        <?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>The server is busy.
        RequestId:5a4b6c1e-a01e-0042-7c3b-2f1e3a000000
        Time:2026-12-07T18:00:00.0000000Z</Message></Error>

        Headers:
        Server: Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0
        x-ms-request-id: 5a4b6c1e-a01e-0042-7c3b-2f1e3a000000
        """;

    private static TaskFailedException Failed(string message, string type = "Azure.RequestFailedException") =>
        new("ArchiveVideo", 7, new TaskFailureDetails(type, message, "   at VeoFunctions.Archive…", null, null));

    [Fact]
    public void AStorageFailure_IsItsStatusAndCode_WithoutTheXmlOrRequestIds()
    {
        string reason = JobRun.Reason(Failed(StorageFailure));

        Assert.Equal("Step ArchiveVideo kept failing after retries: storage answered 503 (ServerBusy)", reason);
    }

    [Fact]
    public void AStorageFailureWithAMessage_KeepsTheMessage()
    {
        Assert.Equal(
            "storage answered 404 (BlobNotFound): The specified blob does not exist.",
            FailureText.Clear("The specified blob does not exist.\nRequestId:abc\nTime:2026-12-07T18:00:00Z\nStatus: 404 (The specified blob does not exist.)\nErrorCode: BlobNotFound\n\nContent:\n<?xml version=\"1.0\"?><Error/>"));
    }

    [Theory]
    [InlineData("Connection refused (v3.fal.media:443)", "Connection refused")]
    [InlineData("No such host is known. (myaccount.blob.core.windows.net:443)", "No such host is known.")]
    [InlineData("GET https://v3.fal.media/files/x/video.mp4?sig=abc answered 503", "GET (a URL) answered 503")]
    public void HostsAndUrls_AreLeftOut(string message, string expected)
    {
        Assert.Equal(expected, FailureText.Clear(message));
    }

    [Fact]
    public void ALongMessage_IsCutToTheBound()
    {
        string reason = FailureText.Clear(new string('x', 10_000));

        Assert.Equal(FailureText.MaxLength, reason.Length);
        Assert.EndsWith("…", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheJobsOwnVerdict_IsKeptAsItIs()
    {
        Assert.Equal("fal says the result is gone.", JobRun.Reason(Failed("fal says the result is gone.", typeof(JobFailedException).FullName!)));
    }
}
