using Fal.Queue;

namespace Fal.Tests;

public sealed class FalEndpointTests
{
    private static readonly Uri Queue = new("https://queue.fal.run");

    [Fact]
    public void StatusResultAndCancelUrls_DropThePathSegment()
    {
        var endpoint = FalEndpoint.Parse("fal-ai/veo3.1/reference-to-video");

        Assert.Equal("https://queue.fal.run/fal-ai/veo3.1/reference-to-video", endpoint.SubmitUrl(Queue).AbsoluteUri);
        Assert.Equal("https://queue.fal.run/fal-ai/veo3.1/requests/r-1/status", endpoint.StatusUrl(Queue, "r-1").AbsoluteUri);
        Assert.Equal("https://queue.fal.run/fal-ai/veo3.1/requests/r-1", endpoint.ResponseUrl(Queue, "r-1").AbsoluteUri);
        Assert.Equal("https://queue.fal.run/fal-ai/veo3.1/requests/r-1/cancel", endpoint.CancelUrl(Queue, "r-1").AbsoluteUri);
    }

    [Fact]
    public void Parse_KeepsANamespaceBeforeOwnerAndAlias()
    {
        var endpoint = FalEndpoint.Parse("workflows/acme/pipeline/run");

        Assert.Equal(("workflows", "acme", "pipeline", "run"), (endpoint.Namespace, endpoint.Owner, endpoint.Alias, endpoint.Path));
        Assert.Equal("https://queue.fal.run/workflows/acme/pipeline/requests/x/status", endpoint.StatusUrl(Queue, "x").AbsoluteUri);
    }

    [Theory]
    [InlineData("fal-ai")]
    [InlineData("fal-ai//x")]
    [InlineData("  ")]
    public void Parse_RejectsIdsWithoutOwnerAndAlias(string id) => Assert.ThrowsAny<ArgumentException>(() => FalEndpoint.Parse(id));
}
