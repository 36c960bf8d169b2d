using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Fal.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// The anonymous webhook door through real Kestrel, spoken to over a raw socket so the body can be withheld, dripped
/// or cut: it checks before it reads, and whatever a sender does with the body is a 4xx, never a 5xx (which pages the
/// on-call through the webhook-5xx alert).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class WebhookDoorTests(Azurite azurite)
{
    private const string JobId = "0123456789abcdef0123456789abcdef";

    /// <summary>Generous: only bounds a hung test. The door's own deadline is 10 s.</summary>
    private static TimeSpan AnswerCap => Patience.Condition;

    private static Dictionary<string, string> FalHeaders(string userId = "emulator-user") => new()
    {
        [FalWebhookVerifier.RequestIdHeader] = "764cabcf-b745-4b3e-ae38-1200304cf45b",
        [FalWebhookVerifier.UserIdHeader] = userId,
        [FalWebhookVerifier.TimestampHeader] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        [FalWebhookVerifier.SignatureHeader] = new string('a', 128), // well-formed; never checked, since no body arrives
    };

    [Fact]
    public async Task ADeliveryWithoutFalsHeaders_Is401_WithoutWaitingForItsBody()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);

        int status = await SendAsync(pipeline, new Dictionary<string, string>(), contentLength: 1000, body: _ => Task.CompletedTask);

        Assert.Equal(401, status);
    }

    [Fact]
    public async Task ADeliveryForAnotherFalAccount_Is401_WithoutWaitingForItsBody()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: new Dictionary<string, string?> { ["Fal:WebhookUserId"] = "emulator-user" });

        int status = await SendAsync(pipeline, FalHeaders(userId: "another-fal-customer"), contentLength: 1000, body: _ => Task.CompletedTask);

        Assert.Equal(401, status);
    }

    [Fact]
    public async Task ADeclaredBodyOver256Kilobytes_Is413_WithoutReadingIt()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);

        int status = await SendAsync(pipeline, FalHeaders(), contentLength: (256 * 1024) + 1, body: _ => Task.CompletedTask);

        Assert.Equal(413, status);
    }

    [Fact]
    public async Task AChunkedBodyOver256Kilobytes_Is413()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/fal/webhook?job={JobId}")
        {
            Content = new StreamContent(new UnknownLength(new byte[300 * 1024])),
        };
        foreach (var (name, value) in FalHeaders())
        {
            request.Headers.Add(name, value);
        }

        using var response = await pipeline.Http.SendAsync(request);

        Assert.True(request.Headers.TransferEncodingChunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task ABodyCutShort_IsAnswered400_NotAFailure()
    {
        var answers = new Answers();
        await using var pipeline = await Pipeline.StartAsync(azurite, services: answers.AddTo);
        using var socket = await OpenAsync(pipeline, FalHeaders(), contentLength: 1000);

        await socket.SendAsync(Encoding.ASCII.GetBytes("{\"request_id\":\"764cabcf\""));
        socket.Shutdown(SocketShutdown.Both); // the sender's side ends here, 977 bytes short; Kestrel sends no answer to a closed peer
        await Poll.UntilAsync(() => !answers.Statuses.IsEmpty, AnswerCap, "the door's answer to the cut body");

        // What the door answered is what the host records, and what the webhook-5xx alert reads.
        Assert.Equal(400, Assert.Single(answers.Statuses));
    }

    [Fact]
    public async Task ABodyDrippedSlowly_Is408AtTheDoorsDeadline()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);

        // 2 KB a second: above Kestrel's minimum data rate (240 B/s), so only the door's own deadline can end it;
        // the whole 200 KB would take 100 s.
        int status = await SendAsync(pipeline, FalHeaders(), contentLength: 200 * 1024, body: async socket =>
        {
            var chunk = new byte[1024];
            Array.Fill(chunk, (byte)' ');
            try
            {
                for (int i = 0; i < 200; i++)
                {
                    await socket.SendAsync(chunk);
                    await Task.Delay(TimeSpan.FromMilliseconds(500)); // the sender's pace, not a wait for a condition
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // The door answered and closed the connection.
            }
        });

        Assert.Equal(408, status);
    }

    [Fact]
    public async Task AJob_Completes_WithItsWebhook_WhenTheAccountIsPinnedToFalsUser()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: new Dictionary<string, string?> { ["Fal:WebhookUserId"] = "emulator-user" });

        string jobId = await pipeline.StartJobAsync(new { prompt = "A fox in snow", image_urls = new[] { TestImages.DataUri(TestImages.Png(8, 8)) } });
        var done = await pipeline.WaitForJobAsync(jobId);

        // The first status check is 30 s away (TestAppSettings): a job done sooner was ended by the webhook.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(0, pipeline.Fal.State.GetCount(FalEmulator.RequestKind.Status));
    }

    private static async Task<Socket> OpenAsync(Pipeline pipeline, Dictionary<string, string> headers, long contentLength)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(pipeline.Functions.BaseUrl.Host, pipeline.Functions.BaseUrl.Port);
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"POST /api/fal/webhook?job={JobId} HTTP/1.1\r\n")
            .Append(CultureInfo.InvariantCulture, $"Host: {pipeline.Functions.BaseUrl.Authority}\r\n")
            .Append("Content-Type: application/json\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {contentLength}\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        await socket.SendAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));
        return socket;
    }

    /// <summary>
    /// Sends the request line and headers, then lets <paramref name="body"/> do what it will with the body while the
    /// answer is read; returns the answer's status code.
    /// </summary>
    private static async Task<int> SendAsync(Pipeline pipeline, Dictionary<string, string> headers, long contentLength, Func<Socket, Task> body)
    {
        using var socket = await OpenAsync(pipeline, headers, contentLength);
        var sending = body(socket);

        using var answered = new CancellationTokenSource(AnswerCap);
        var buffer = new byte[4096];
        var received = new StringBuilder();
        while (!received.ToString().Contains("\r\n", StringComparison.Ordinal))
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, answered.Token);
            Assert.True(n > 0, $"The door closed the connection without an answer (got: {received})");
            received.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        socket.Close(); // ends a dripping sender
        await sending.WaitAsync(AnswerCap);
        string statusLine = received.ToString()[..received.ToString().IndexOf("\r\n", StringComparison.Ordinal)];
        return int.Parse(statusLine.Split(' ')[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The status of every answer the app's HTTP front gave, as the host's request records have it (an exception: 500).</summary>
    private sealed class Answers : IStartupFilter
    {
        public ConcurrentQueue<int> Statuses { get; } = new();

        public void AddTo(IServiceCollection services) => services.AddSingleton<IStartupFilter>(this);

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (HttpContext context, RequestDelegate inner) =>
            {
                try
                {
                    await inner(context);
                    Statuses.Enqueue(context.Response.StatusCode);
                }
                catch
                {
                    Statuses.Enqueue(StatusCodes.Status500InternalServerError);
                    throw;
                }
            });
            next(app);
        };
    }

    /// <summary>A body stream that cannot tell its length, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLength(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
