using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VeoFunctions.Callbacks;
using VeoFunctions.Images;
using VeoFunctions.Jobs;

namespace VeoFunctions.Tests.Callbacks;

internal static class CallbackTestData
{
    /// <summary>The example secret of the Standard Webhooks specification (24 bytes).</summary>
    public const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    public static readonly DateTimeOffset Created = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static JobStatus Status(string jobId = "job-1") => new(
        jobId,
        "completed",
        Created,
        Created.AddMinutes(3),
        "fal-req-1",
        null,
        new ArchivedVideo("videos", $"{jobId}/video.mp4", new Uri($"https://acct.blob.core.windows.net/videos/{jobId}/video.mp4"), $"{jobId}/manifest.json", 1234, "video/mp4"),
        null,
        [new PhaseChange(JobPhase.Queued, Created), new PhaseChange(JobPhase.Completed, Created.AddMinutes(3))]);

    /// <summary>Image rules as tests use them: http allowed, and 127.0.0.1 allow-listed unless said otherwise.</summary>
    public static ImageOptions Network(bool allowLoopback = true)
    {
        var options = new ImageOptions { AllowHttp = true };
        if (allowLoopback)
        {
            options.AllowedPrivateHosts.Add("127.0.0.1");
        }

        return options;
    }

    public static CallbackSender Sender(
        ImageOptions? network = null,
        TimeProvider? time = null,
        string? secret = Secret,
        TimeSpan? timeout = null,
        Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        network ??= Network();
        var handler = resolve is null ? SafeImageDownloader.CreateHandler(network) : SafeImageDownloader.CreateHandler(network, resolve);
        var options = new CallbackOptions { SigningSecret = secret, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        return new CallbackSender(
            new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan },
            Options.Create(options),
            Options.Create(network),
            time ?? TimeProvider.System,
            NullLogger<CallbackSender>.Instance);
    }

    /// <summary>A DNS that knows one name.</summary>
    public static Func<string, CancellationToken, Task<IPAddress[]>> Resolving(string name, params IPAddress[] addresses) =>
        (host, _) => host == name ? Task.FromResult(addresses) : throw new SocketException((int)SocketError.HostNotFound);
}
