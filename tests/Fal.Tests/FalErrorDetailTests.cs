using System.Net;
using System.Text.Json;

namespace Fal.Tests;

public sealed class FalErrorDetailTests
{
    [Fact]
    public void Parse_ReadsAPlainStringDetail()
    {
        var error = FalErrorDetail.Parse("""{"detail":"Request is still in progress"}""");

        Assert.Equal("Request is still in progress", error.Message);
        Assert.Null(error.ErrorType);
        Assert.Empty(error.Items);
        Assert.False(error.IsUserRequestTimeout);
    }

    [Fact]
    public void Parse_ReadsAListDetail_WithLocationPathsWithoutTheBodyPrefix()
    {
        var error = FalErrorDetail.Parse("""
            {"detail":[
              {"loc":["body","image_urls",0],"msg":"Image too large","type":"image_too_large","url":"https://docs","ctx":{"max":8388608}},
              {"loc":["body","prompt"],"msg":"Flagged","type":"content_policy_violation"},
              {"loc":["query","fal_webhook"],"msg":"bad"},
              {"msg":"no location"},
              "not an object"
            ]}
            """);

        Assert.Equal(
            [
                new FalValidationItem("image_urls[0]", "Image too large", "image_too_large"),
                new FalValidationItem("prompt", "Flagged", "content_policy_violation"),
                new FalValidationItem("query.fal_webhook", "bad", null),
                new FalValidationItem("", "no location", null),
            ],
            error.Items);
        Assert.Equal("image_urls[0]: Image too large; prompt: Flagged; query.fal_webhook: bad; no location", error.Message);
        Assert.True(error.IsContentPolicyViolation);
    }

    [Fact]
    public void Parse_FormatsNestedIndexesInLocations()
    {
        var error = FalErrorDetail.Parse("""{"detail":[{"loc":["body","items",2,"urls",0],"msg":"m","type":"t"}]}""");

        Assert.Equal("items[2].urls[0]", Assert.Single(error.Items).Location);
    }

    [Fact]
    public void Parse_ReadsErrorTypeFromTheBody()
    {
        var error = FalErrorDetail.Parse("""{"detail":"Runner disconnected","error_type":"runner_disconnected"}""");

        Assert.Equal("runner_disconnected", error.ErrorType);
        Assert.Equal("Runner disconnected", error.Message);
    }

    [Fact]
    public void Parse_PrefersTheErrorTypeHeader_AndReadsItWithoutABody()
    {
        Assert.Equal("startup_timeout", FalErrorDetail.Parse("""{"detail":"x","error_type":"other"}""", errorTypeHeader: "startup_timeout").ErrorType);
        Assert.Equal("startup_timeout", FalErrorDetail.Parse(null, errorTypeHeader: "startup_timeout").ErrorType);
        Assert.Null(FalErrorDetail.Parse("", errorTypeHeader: " ").ErrorType);
    }

    [Theory]
    [InlineData("user", true)]
    [InlineData("USER", true)]
    [InlineData("system", false)]
    [InlineData(null, false)]
    public void Parse_RecognisesTheUsersOwnRequestTimeout(string? timeoutType, bool expected) =>
        Assert.Equal(expected, FalErrorDetail.Parse("""{"detail":"timed out"}""", "request_timeout", timeoutType).IsUserRequestTimeout);

    [Fact]
    public void Parse_KeepsInvalidJsonAsTheMessage()
    {
        var error = FalErrorDetail.Parse("<html>502 Bad Gateway</html>", "runner_connection_error");

        Assert.Equal("<html>502 Bad Gateway</html>", error.Message);
        Assert.Equal("runner_connection_error", error.ErrorType);
        Assert.Empty(error.Items);
    }

    [Fact]
    public void Parse_TruncatesAHugeInvalidBody()
    {
        var error = FalErrorDetail.Parse(new string('x', 100_000));

        Assert.Equal(501, error.Message.Length);
        Assert.EndsWith("…", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TruncatesAHugeDetail()
    {
        var error = FalErrorDetail.Parse(JsonSerializer.Serialize(new { detail = new string('y', 10_000) }));

        Assert.Equal(new string('y', 500) + "…", error.Message);
    }

    [Theory]
    [InlineData("""{"error":"model crashed"}""", "model crashed")]
    [InlineData("""{"message":"gone"}""", "gone")]
    [InlineData("""{"status":"ALREADY_COMPLETED"}""", "ALREADY_COMPLETED")]
    [InlineData("""{"unexpected":1}""", "")]
    [InlineData("""[1,2]""", "[1,2]")]
    [InlineData("""  "just text"  """, "just text")]
    public void Parse_FallsBackToOtherShapes(string body, string expectedMessage) =>
        Assert.Equal(expectedMessage, FalErrorDetail.Parse(body).Message);

    [Fact]
    public void Parse_ReadsThePlatformApiShape_TypeAsErrorType()
    {
        var error = FalErrorDetail.Parse("""
            {"error":{"type":"validation_error","message":"endpoint_id is required","docs_url":"https://docs.fal.ai/x","request_id":"p-1"}}
            """);

        Assert.Equal("validation_error", error.ErrorType);
        Assert.Equal("endpoint_id is required", error.Message);
        Assert.Empty(error.Items);
        Assert.Equal("fal answered 400 (validation_error): endpoint_id is required.", error.Describe(400));
    }

    [Fact]
    public void Parse_ToleratesAPlatformErrorWithoutMessageOrType()
    {
        var error = FalErrorDetail.Parse("""{"error":{"message":42}}""");

        Assert.Equal("", error.Message);
        Assert.Null(error.ErrorType);
    }

    [Fact]
    public void FromJson_ReadsAStatusErrorString()
    {
        using var doc = JsonDocument.Parse("\"Runner disconnected unexpectedly.\"");

        Assert.Equal("Runner disconnected unexpectedly.", FalErrorDetail.FromJson(doc.RootElement).Message);
    }

    [Fact]
    public void Describe_GivesOneSentenceWithStatusAndType()
    {
        var error = FalErrorDetail.Parse("""{"detail":[{"loc":["body","prompt"],"msg":"Flagged.","type":"content_policy_violation"}]}""");

        Assert.Equal("fal answered 422 (content_policy_violation): prompt: Flagged.", error.Describe(422));
        Assert.Equal("fal reported an error: no detail given.", FalErrorDetail.Empty.Describe(0));
    }

    [Fact]
    public void ContentPolicyViolation_IsRecognisedFromTheTopLevelErrorType()
    {
        Assert.True(FalErrorDetail.Parse("""{"detail":"flagged","error_type":"content_policy_violation"}""").IsContentPolicyViolation);
        Assert.False(FalErrorDetail.Parse("""{"detail":[{"loc":["body","image_urls",0],"msg":"m","type":"file_download_error"}]}""").IsContentPolicyViolation);
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, null, null, true)]
    [InlineData(HttpStatusCode.BadGateway, null, null, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, null, null, true)]
    [InlineData(HttpStatusCode.GatewayTimeout, null, null, true)]
    [InlineData(HttpStatusCode.GatewayTimeout, "user", null, false)]
    [InlineData(HttpStatusCode.InternalServerError, null, null, false)]
    [InlineData(HttpStatusCode.UnprocessableEntity, null, null, false)]
    [InlineData(HttpStatusCode.ServiceUnavailable, null, false, false)]
    [InlineData(HttpStatusCode.InternalServerError, null, true, true)]
    public void ApiException_IsTransient_FollowsFalsRetryRules(HttpStatusCode status, string? timeoutType, bool? retryable, bool expected)
    {
        var ex = new FalApiException(status, FalErrorDetail.Parse("""{"detail":"x"}""", null, timeoutType), "r-1", retryable);

        Assert.Equal(expected, ex.IsTransient);
    }
}
