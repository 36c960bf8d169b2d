using System.Text.Json;
using Fal.Webhooks;

namespace Fal.Tests;

public sealed class FalWebhookDeliveryTests
{
    private static FalWebhookDelivery Parse(string json) => JsonSerializer.Deserialize(json, FalJsonContext.Default.FalWebhookDelivery)!;

    [Fact]
    public void IsNamedBy_AcceptsTheRequestId_WhenBothIdsAreEqual()
    {
        var delivery = Parse("""{"request_id":"r-1","gateway_request_id":"r-1","status":"OK","payload":{}}""");

        Assert.True(delivery.IsNamedBy("r-1"));
        Assert.False(delivery.IsNamedBy("r-2"));
    }

    [Fact]
    public void IsNamedBy_AcceptsEitherId_WhenFalRetriedInternally()
    {
        var delivery = Parse("""{"request_id":"r-queue","gateway_request_id":"r-last-try","status":"OK","payload":{}}""");

        Assert.True(delivery.IsNamedBy("r-queue"));
        Assert.True(delivery.IsNamedBy("r-last-try"));
        Assert.False(delivery.IsNamedBy("r-other"));
        Assert.Equal("r-queue", delivery.RequestId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("R-1")]
    public void IsNamedBy_RefusesAMissingOrDifferentlyCasedId(string? header)
    {
        var delivery = Parse("""{"request_id":"r-1","status":"OK"}""");

        Assert.False(delivery.IsNamedBy(header));
    }

    [Fact]
    public void IsNamedBy_NeverMatchesABodyWithoutIds()
    {
        var delivery = Parse("""{"status":"ERROR"}""");

        Assert.False(delivery.IsNamedBy(""));
        Assert.False(delivery.IsNamedBy("r-1"));
    }
}
