using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;
using VeoFunctions.Callbacks;
using VeoFunctions.Testing;
using static VeoFunctions.Tests.Callbacks.CallbackTestData;

namespace VeoFunctions.Tests.Callbacks;

/// <summary>The sender against a real local receiver: what goes on the wire, and how each kind of answer ends.</summary>
public sealed class CallbackSenderTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    private CallbackReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await CallbackReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private static string? VerifyIndependently(ReceivedCallback callback, DateTimeOffset now) => StandardWebhooksSpec.Problem(
        Secret, callback.Header("webhook-id"), callback.Header("webhook-timestamp"), callback.Header("webhook-signature"), callback.Body, now);

    [Fact]
    public void TheIndependentVerifier_AcceptsTheSpecificationsExample_AndNothingElse()
    {
        // The example in the Standard Webhooks specification, so the verifier the tests trust is itself checked.
        byte[] body = Encoding.UTF8.GetBytes("{\"test\": 2432232314}");
        var at = DateTimeOffset.FromUnixTimeSeconds(1614265330);
        const string Signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

        Assert.Null(StandardWebhooksSpec.Problem(Secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", Signature, body, at));
        Assert.NotNull(StandardWebhooksSpec.Problem(Secret, "msg_other", "1614265330", Signature, body, at));
        Assert.NotNull(StandardWebhooksSpec.Problem(Secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", Signature, [.. body, (byte)' '], at));
        Assert.NotNull(StandardWebhooksSpec.Problem(Secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", Signature, body, at.AddMinutes(6)));
    }

    [Fact]
    public async Task Delivered_CarriesASignatureAnIndependentVerifierAccepts()
    {
        var outcome = await Sender().SendAsync(_receiver.Url("/hook"), "evt-1", Status());

        Assert.Equal(new CallbackOutcome(true, 204, null), outcome);
        var callback = Assert.Single(_receiver.Received);
        Assert.Null(VerifyIndependently(callback, DateTimeOffset.UtcNow));
        Assert.StartsWith("v1,", callback.Header("webhook-signature"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delivered_VerifiesWithTheStandardWebhooksPackage()
    {
        await Sender().SendAsync(_receiver.Url("/hook"), "evt-1", Status());

        var callback = Assert.Single(_receiver.Received);
        var headers = new HeaderDictionary(callback.Headers.ToDictionary(h => h.Key, h => new Microsoft.Extensions.Primitives.StringValues(h.Value)));
        new StandardWebhook(Secret).Verify(Encoding.UTF8.GetString(callback.Body), headers);
        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook("whsec_" + Convert.ToBase64String(new byte[24])).Verify(Encoding.UTF8.GetString(callback.Body), headers));
    }

    [Fact]
    public async Task TheRequest_IsAJsonPostOfTheStatusDocument_WithTheHeadersAndAnAppUserAgent()
    {
        var status = Status();
        await Sender().SendAsync(_receiver.Url("/hook"), "evt-42", status);

        var callback = Assert.Single(_receiver.Received);
        Assert.Equal("POST", callback.Method);
        Assert.Equal("evt-42", callback.Header("webhook-id"));
        Assert.Matches("^[0-9]+$", callback.Header("webhook-timestamp"));
        Assert.StartsWith("application/json", callback.Header("content-type"), StringComparison.Ordinal);
        Assert.StartsWith("VeoFunctions-Callbacks/", callback.Header("user-agent"), StringComparison.Ordinal);

        // The same document GET /api/videos/{id} answers: web (camelCase) JSON of JobStatus.
        Assert.Equal(JsonSerializer.Serialize(status, WebJson), Encoding.UTF8.GetString(callback.Body));
        using var json = JsonDocument.Parse(callback.Body);
        Assert.Equal("job-1", json.RootElement.GetProperty("jobId").GetString());
        Assert.Equal("completed", json.RootElement.GetProperty("timeline")[1].GetProperty("phase").GetString());
    }

    [Fact]
    public async Task EveryAttempt_KeepsTheEventId_AndSignsAFreshTimestamp()
    {
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 120);
        var time = new FakeTimeProvider(start);
        var sender = Sender(time: time);

        await sender.SendAsync(_receiver.Url("/hook"), "evt-7", Status());
        time.Advance(TimeSpan.FromSeconds(90));
        await sender.SendAsync(_receiver.Url("/hook"), "evt-7", Status());

        var (first, second) = (_receiver.Received[0], _receiver.Received[1]);
        Assert.Equal("evt-7", first.Header("webhook-id"));
        Assert.Equal("evt-7", second.Header("webhook-id"));
        Assert.Equal(start.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), first.Header("webhook-timestamp"));
        Assert.Equal((start.ToUnixTimeSeconds() + 90).ToString(CultureInfo.InvariantCulture), second.Header("webhook-timestamp"));
        Assert.NotEqual(first.Header("webhook-signature"), second.Header("webhook-signature"));
        Assert.Null(VerifyIndependently(first, start));
        Assert.Null(VerifyIndependently(second, start.AddSeconds(90)));
    }

    [Theory]
    [InlineData(200)]
    [InlineData(201)]
    [InlineData(202)]
    [InlineData(204)]
    public async Task Any2xx_IsDelivered(int status)
    {
        var outcome = await Sender().SendAsync(_receiver.Url($"/status/{status}"), "evt-1", Status());

        Assert.Equal(new CallbackOutcome(true, status, null), outcome);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(408)]
    [InlineData(429)]
    public async Task ServerErrorsTimeoutsAndThrottling_ThrowForARetry(int status)
    {
        var ex = await Assert.ThrowsAsync<CallbackDeliveryException>(() => Sender().SendAsync(_receiver.Url($"/status/{status}?token=SECRET"), "evt-1", Status()));

        Assert.Equal(status, ex.StatusCode);
        Assert.Contains($"answered {status}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(410)]
    [InlineData(422)]
    public async Task OtherClientErrors_AreARefusal_ReturnedNotRetried(int status)
    {
        var outcome = await Sender().SendAsync(_receiver.Url($"/status/{status}"), "evt-1", Status());

        Assert.False(outcome.Delivered);
        Assert.Equal(status, outcome.StatusCode);
        Assert.Equal($"The callback to {_receiver.BaseAddress}status/{status} was refused: the receiver answered {SafeStatus(status)}.", outcome.Error);
    }

    [Fact]
    public async Task ARefusalsReason_IsReadOnlyUpToACap_AndShownOnOneLine()
    {
        var outcome = await Sender().SendAsync(_receiver.Url("/chatty-refusal"), "evt-1", Status());

        Assert.False(outcome.Delivered);
        Assert.StartsWith($"The callback to {_receiver.BaseAddress}chatty-refusal was refused: the receiver answered 400 Bad Request (Bad signature. xxx", outcome.Error, StringComparison.Ordinal);
        Assert.EndsWith("…).", outcome.Error, StringComparison.Ordinal);
        Assert.True(outcome.Error!.Length < 400, outcome.Error);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task Redirects_AreNotFollowed(int status)
    {
        var outcome = await Sender().SendAsync(_receiver.Url($"/redirect/{status}"), "evt-1", Status());

        Assert.False(outcome.Delivered);
        Assert.Equal(status, outcome.StatusCode);
        Assert.Contains("callbacks do not follow redirects", outcome.Error, StringComparison.Ordinal);
        Assert.Equal([$"/redirect/{status}"], _receiver.Received.Select(r => r.Path));
    }

    [Fact]
    public async Task AReceiverThatDoesNotAnswerInTime_ThrowsForARetry()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var sending = Sender(time: time, timeout: TimeSpan.FromSeconds(10)).SendAsync(_receiver.Url("/hang"), "evt-1", Status());
        await Poll.UntilAsync(() => _receiver.Received.Count == 1);

        time.Advance(TimeSpan.FromSeconds(10));

        var ex = await Assert.ThrowsAsync<CallbackDeliveryException>(() => sending);
        Assert.Equal($"The callback to {_receiver.BaseAddress}hang failed for now: the receiver did not answer within 10 seconds.", ex.Message);
        Assert.Null(ex.StatusCode);
    }

    [Fact]
    public async Task AReceiverThatCannotBeReached_ThrowsForARetry()
    {
        var closed = ClosedLoopbackPort();

        var ex = await Assert.ThrowsAsync<CallbackDeliveryException>(() => Sender().SendAsync(new Uri($"http://127.0.0.1:{closed}/hook"), "evt-1", Status()));

        Assert.StartsWith($"The callback to http://127.0.0.1:{closed}/hook failed for now: the receiver could not be reached", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallerCancellation_IsNotDressedUpAsAFailure()
    {
        using var cancel = new CancellationTokenSource();
        var sending = Sender().SendAsync(_receiver.Url("/hang"), "evt-1", Status(), cancel.Token);
        await Poll.UntilAsync(() => _receiver.Received.Count == 1);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}/hook")] // loopback, not allow-listed
    [InlineData("http://169.254.169.254/latest/meta-data/")] // cloud metadata
    [InlineData("http://10.0.0.5/hook")]
    [InlineData("http://localhost:{port}/hook")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/")]
    public async Task PrivateAddresses_AreRefusedBeforeAnyRequest(string template)
    {
        var url = new Uri(template.Replace("{port}", _receiver.BaseAddress.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

        var outcome = await Sender(Network(allowLoopback: false)).SendAsync(url, "evt-1", Status());

        Assert.False(outcome.Delivered);
        Assert.Null(outcome.StatusCode);
        Assert.Contains("not allowed", outcome.Error, StringComparison.Ordinal);
        Assert.Empty(_receiver.Received);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("168.63.129.16")]
    [InlineData("10.1.2.3")]
    [InlineData("::1")]
    public async Task APublicNameThatResolvesToAPrivateAddress_IsRefusedAtConnectTime(string address)
    {
        // The name passes the static check; only the connect-time check on the resolved address stops it (DNS rebinding).
        var resolve = Resolving("hooks.example.com", IPAddress.Parse(address));
        var url = new Uri($"http://hooks.example.com:{_receiver.BaseAddress.Port}/hook");

        var outcome = await Sender(Network(allowLoopback: false), resolve: resolve).SendAsync(url, "evt-1", Status());

        Assert.Equal(new CallbackOutcome(false, null, $"The callback URL http://hooks.example.com:{_receiver.BaseAddress.Port}/hook points to a private or reserved network address, which is not allowed."), outcome);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task APublicNameResolvingToAnAllowListedAddress_IsDelivered()
    {
        var resolve = Resolving("hooks.example.com", IPAddress.Loopback);

        var outcome = await Sender(resolve: resolve).SendAsync(new Uri($"http://hooks.example.com:{_receiver.BaseAddress.Port}/hook"), "evt-1", Status());

        Assert.True(outcome.Delivered);
    }

    [Fact]
    public async Task Http_IsRefusedUnlessAllowed()
    {
        var network = Network();
        network.AllowHttp = false;

        var outcome = await Sender(network).SendAsync(_receiver.Url("/hook"), "evt-1", Status());

        Assert.Equal(new CallbackOutcome(false, null, "The callback URL must start with https://."), outcome);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task WithoutASigningSecret_NothingIsSent()
    {
        var outcome = await Sender(secret: null).SendAsync(_receiver.Url("/hook"), "evt-1", Status());

        Assert.Equal(new CallbackOutcome(false, null, "No callback signing secret is configured (Callbacks:SigningSecret), so the callback was not sent."), outcome);
        Assert.Empty(_receiver.Received);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("evt\r\nx-injected: 1")]
    [InlineData("job-é/completed")]
    [InlineData("job 1/completed")]
    public async Task AnEventIdThatIsNotOneHeaderLine_IsAProgrammingError(string eventId)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Sender().SendAsync(_receiver.Url("/hook"), eventId, Status()));

        Assert.Empty(_receiver.Received);
    }

    private static string SafeStatus(int status) => status switch
    {
        400 => "400 Bad Request",
        401 => "401 Unauthorized",
        403 => "403 Forbidden",
        404 => "404 Not Found",
        410 => "410 Gone",
        422 => "422 Unprocessable Entity",
        _ => status.ToString(CultureInfo.InvariantCulture),
    };

    private static int ClosedLoopbackPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
