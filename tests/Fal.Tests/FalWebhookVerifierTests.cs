using System.Text;
using Fal.Webhooks;
using Microsoft.Extensions.Time.Testing;
using Moq;
using NSec.Cryptography;

namespace Fal.Tests;

public sealed class FalWebhookVerifierTests : IDisposable
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"request_id":"req-1","gateway_request_id":"req-1","status":"OK","payload":{"video":{"url":"https://v3.fal.media/x.mp4"}}}""");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly WebhookSigner _fal = new();
    private readonly WebhookSigner _other = new();
    private readonly Mock<IFalWebhookKeySource> _keys = new(MockBehavior.Strict);

    public FalWebhookVerifierTests()
    {
        _keys.Setup(k => k.GetKeysAsync(It.IsAny<CancellationToken>())).ReturnsAsync(new[] { _fal.PublicKey });
        _keys.Setup(k => k.RefreshAsync(It.IsAny<CancellationToken>())).ReturnsAsync((IReadOnlyList<PublicKey>?)null);
    }

    private FalWebhookVerifier Verifier => new(_keys.Object, _time);

    public void Dispose()
    {
        _fal.Dispose();
        _other.Dispose();
    }

    [Fact]
    public async Task Verify_AcceptsAValidSignature_AndReturnsTheRequestId()
    {
        var headers = _fal.Headers(Body, _time, requestId: "req-42");

        var result = await Verifier.VerifyAsync(headers.Reader(), Body);

        Assert.True(result.IsValid, result.Failure);
        Assert.Equal("req-42", result.RequestId);
        Assert.Null(result.Failure);
        _keys.Verify(k => k.RefreshAsync(It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Verify_AcceptsWhenAnyKeyOfTheSetVerifies()
    {
        _keys.Setup(k => k.GetKeysAsync(It.IsAny<CancellationToken>())).ReturnsAsync(new[] { _other.PublicKey, _fal.PublicKey });

        var result = await Verifier.VerifyAsync(_fal.Headers(Body, _time).Reader(), Body);

        Assert.True(result.IsValid, result.Failure);
    }

    [Fact]
    public async Task AGenuineDeliveryForAnotherFalAccount_IsRefused_WhenTheAccountIsPinned_BeforeAnyKeyIsAsked()
    {
        var pinned = new FalWebhookVerifier(_keys.Object, _time, Microsoft.Extensions.Options.Options.Create(new FalOptions { WebhookUserId = "our-account" }));
        var headers = _fal.Headers(Body, _time);

        var checkedHeaders = pinned.CheckHeaders(headers.Reader());
        var verified = await pinned.VerifyAsync(headers.Reader(), Body);

        Assert.False(checkedHeaders.IsValid);
        Assert.False(verified.IsValid);
        Assert.Contains("another fal account", verified.Failure, StringComparison.Ordinal);
        _keys.Verify(k => k.GetKeysAsync(It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task AGenuineDeliveryForThePinnedAccount_Verifies()
    {
        var headers = _fal.Headers(Body, _time);
        var pinned = new FalWebhookVerifier(_keys.Object, _time, Microsoft.Extensions.Options.Options.Create(new FalOptions { WebhookUserId = headers[FalWebhookVerifier.UserIdHeader] }));

        Assert.True(pinned.CheckHeaders(headers.Reader()).IsValid);
        Assert.True((await pinned.VerifyAsync(headers.Reader(), Body)).IsValid);
    }

    [Theory]
    [InlineData(FalWebhookVerifier.RequestIdHeader)]
    [InlineData(FalWebhookVerifier.UserIdHeader)]
    [InlineData(FalWebhookVerifier.TimestampHeader)]
    [InlineData(FalWebhookVerifier.SignatureHeader)]
    public async Task Verify_Rejects_WhenAHeaderIsMissing(string header)
    {
        var headers = _fal.Headers(Body, _time);
        headers.Remove(header);

        var result = await Verifier.VerifyAsync(headers.Reader(), Body);

        Assert.False(result.IsValid);
        Assert.Null(result.RequestId);
        Assert.Contains("headers", result.Failure, StringComparison.Ordinal);
        _keys.Verify(k => k.GetKeysAsync(It.IsAny<CancellationToken>()), Times.Never);
    }

    [Theory]
    [InlineData(FalWebhookVerifier.RequestIdHeader)]
    [InlineData(FalWebhookVerifier.SignatureHeader)]
    public async Task Verify_Rejects_WhenAHeaderIsEmpty(string header)
    {
        var headers = _fal.Headers(Body, _time);
        headers[header] = "";

        var result = await Verifier.VerifyAsync(headers.Reader(), Body);

        Assert.False(result.IsValid);
    }

    [Theory]
    [InlineData("zz", 2)] // not hex digits
    [InlineData("a", 0)]  // odd number of digits
    [InlineData("0x", 2)]
    public async Task Verify_Rejects_ASignatureThatIsNotHex(string junk, int replaced)
    {
        var headers = _fal.Headers(Body, _time);
        headers[FalWebhookVerifier.SignatureHeader] = headers[FalWebhookVerifier.SignatureHeader][..^replaced] + junk;

        var result = await Verifier.VerifyAsync(headers.Reader(), Body);

        Assert.False(result.IsValid);
        Assert.Contains("hexadecimal", result.Failure, StringComparison.Ordinal);
        _keys.Verify(k => k.GetKeysAsync(It.IsAny<CancellationToken>()), Times.Never);
    }

    [Theory]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(32)]
    public async Task Verify_Rejects_ASignatureOfTheWrongLength(int bytes)
    {
        var headers = _fal.Headers(Body, _time);
        string full = headers[FalWebhookVerifier.SignatureHeader];
        headers[FalWebhookVerifier.SignatureHeader] = bytes <= 64 ? full[..(bytes * 2)] : full + "00";

        var result = await Verifier.VerifyAsync(headers.Reader(), Body);

        Assert.False(result.IsValid);
        Assert.Contains("length", result.Failure, StringComparison.Ordinal);
        _keys.Verify(k => k.GetKeysAsync(It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Verify_Rejects_ATamperedBody_AfterAskingForFreshKeys()
    {
        var headers = _fal.Headers(Body, _time);
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Body).Replace("x.mp4", "y.mp4", StringComparison.Ordinal));

        var result = await Verifier.VerifyAsync(headers.Reader(), tampered);

        Assert.False(result.IsValid);
        Assert.Contains("does not verify", result.Failure, StringComparison.Ordinal);
        _keys.Verify(k => k.RefreshAsync(It.IsAny<CancellationToken>()), Times.Once);
    }

    [Theory]
    [InlineData(FalWebhookVerifier.RequestIdHeader)]
    [InlineData(FalWebhookVerifier.UserIdHeader)]
    public async Task Verify_Rejects_WhenASignedHeaderWasChanged(string header)
    {
        var headers = _fal.Headers(Body, _time);
        headers[header] += "-x";

        var result = await Verifier.VerifyAsync(headers.Reader(), Body);

        Assert.False(result.IsValid);
    }

    [Fact]
    public async Task Verify_Rejects_WhenTheTimestampWasChangedWithinTheWindow()
    {
        var headers = _fal.Headers(Body, _time);
        headers[FalWebhookVerifier.TimestampHeader] = (long.Parse(headers[FalWebhookVerifier.TimestampHeader], System.Globalization.CultureInfo.InvariantCulture) - 1)
            .ToString(System.Globalization.CultureInfo.InvariantCulture);

        var result = await Verifier.VerifyAsync(headers.Reader(), Body);

        Assert.False(result.IsValid);
    }

    [Fact]
    public async Task Verify_Rejects_ASignatureByAnotherKey()
    {
        var result = await Verifier.VerifyAsync(_other.Headers(Body, _time).Reader(), Body);

        Assert.False(result.IsValid);
        Assert.Null(result.RequestId);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(-301)]
    [InlineData(86_400)]
    [InlineData(-86_400)]
    public async Task Verify_Rejects_ATimestampMoreThan300SecondsFromNow(int offsetSeconds)
    {
        var headers = _fal.Headers(Body, _time, offset: TimeSpan.FromSeconds(offsetSeconds));

        var result = await Verifier.VerifyAsync(headers.Reader(), Body);

        Assert.False(result.IsValid);
        Assert.Contains("timestamp", result.Failure, StringComparison.Ordinal);
        _keys.Verify(k => k.GetKeysAsync(It.IsAny<CancellationToken>()), Times.Never);
        _keys.Verify(k => k.RefreshAsync(It.IsAny<CancellationToken>()), Times.Never);
    }

    [Theory]
    [InlineData(299)]
    [InlineData(-299)]
    [InlineData(300)]
    [InlineData(-300)]
    [InlineData(0)]
    public async Task Verify_Accepts_ATimestampWithin300SecondsOfNow(int offsetSeconds)
    {
        var headers = _fal.Headers(Body, _time, offset: TimeSpan.FromSeconds(offsetSeconds));

        var result = await Verifier.VerifyAsync(headers.Reader(), Body);

        Assert.True(result.IsValid, result.Failure);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-1748779200")]
    [InlineData("+1748779200")]
    [InlineData(" 1748779200")]
    [InlineData("1748779200.5")]
    [InlineData("99999999999999999999")]
    [InlineData("9223372036854775807")]
    public async Task Verify_Rejects_ATimestampThatIsNotPlainUnixSeconds(string timestamp)
    {
        var headers = _fal.Headers(Body, _time);
        headers[FalWebhookVerifier.TimestampHeader] = timestamp;
        headers[FalWebhookVerifier.SignatureHeader] = _fal.SignHex("req-1", "user-1", timestamp, Body);

        var result = await Verifier.VerifyAsync(headers.Reader(), Body);

        Assert.False(result.IsValid);
        Assert.Contains("timestamp", result.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_AcceptsARotatedKey_WhenTheRefreshBringsIt()
    {
        var headers = _other.Headers(Body, _time);
        _keys.Setup(k => k.RefreshAsync(It.IsAny<CancellationToken>())).ReturnsAsync(new[] { _other.PublicKey });

        var result = await Verifier.VerifyAsync(headers.Reader(), Body);

        Assert.True(result.IsValid, result.Failure);
        _keys.Verify(k => k.GetKeysAsync(It.IsAny<CancellationToken>()), Times.Once);
        _keys.Verify(k => k.RefreshAsync(It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public void SignedMessage_IsRequestIdUserIdTimestampAndLowercaseBodyHash_NewlineSeparated_WithoutTrailingNewline()
    {
        var message = Encoding.UTF8.GetString(FalWebhookVerifier.SignedMessage("r", "u", "17", Encoding.UTF8.GetBytes("abc")));

        Assert.Equal("r\nu\n17\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", message);
    }

    [Fact]
    public async Task Verify_WithTheJwksSource_AcceptsARotatedKeyAfterTheRefreshIntervalPassed()
    {
        var jwks = new JwksServer(WebhookSigner.Jwks(_fal));
        using var source = jwks.Source(_time);
        var verifier = new FalWebhookVerifier(source, _time);
        Assert.True((await verifier.VerifyAsync(_fal.Headers(Body, _time).Reader(), Body)).IsValid);

        jwks.Jwks = WebhookSigner.Jwks(_other); // fal rotated and retired the old key
        _time.Advance(TimeSpan.FromSeconds(61));
        var result = await verifier.VerifyAsync(_other.Headers(Body, _time).Reader(), Body);

        Assert.True(result.IsValid, result.Failure);
        Assert.Equal(2, jwks.Fetches);
        Assert.Equal(2, source.FetchCount);
        Assert.False((await verifier.VerifyAsync(_fal.Headers(Body, _time).Reader(), Body)).IsValid);
    }

    [Fact]
    public async Task Verify_AFloodOfBadSignatures_RefetchesTheJwksAtMostOncePerMinute()
    {
        var jwks = new JwksServer(WebhookSigner.Jwks(_fal));
        using var source = jwks.Source(_time);
        var verifier = new FalWebhookVerifier(source, _time);

        async Task FloodAsync()
        {
            var forged = _other.Headers(Body, _time);
            var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => Task.Run(() => verifier.VerifyAsync(forged.Reader(), Body))));
            Assert.All(results, r => Assert.False(r.IsValid));
        }

        await FloodAsync();
        Assert.Equal(1, jwks.Fetches); // the initial fetch; no refetch within a minute of it

        _time.Advance(TimeSpan.FromSeconds(61));
        await FloodAsync();
        Assert.Equal(2, jwks.Fetches);

        _time.Advance(TimeSpan.FromSeconds(30));
        await FloodAsync();
        Assert.Equal(2, jwks.Fetches);

        _time.Advance(TimeSpan.FromSeconds(31));
        await FloodAsync();
        Assert.Equal(3, jwks.Fetches);
    }
}
