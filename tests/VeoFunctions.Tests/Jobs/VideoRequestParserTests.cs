using System.Text;
using System.Text.Json.Nodes;
using VeoFunctions.Images;
using VeoFunctions.Jobs;
using VeoFunctions.Tests.Images;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Jobs;

public sealed class VideoRequestParserTests
{
    private readonly VideoRequestParser _parser = TestBodies.Parser();

    private ParseResult Parse(JsonNode body) => _parser.Parse(TestBodies.Bytes(body));

    private ParseResult ParseWith(string field, JsonNode? value)
    {
        var body = TestBodies.Valid();
        body[field] = value;
        return Parse(body);
    }

    private static void AssertOnlyError(ParseResult result, string field)
    {
        Assert.Null(result.Draft);
        Assert.NotNull(result.Errors);
        Assert.Equal([field], result.Errors.Keys);
        Assert.All(result.Errors[field], message => Assert.False(string.IsNullOrWhiteSpace(message)));
    }

    // --- The whole body ---

    [Fact]
    public void AMinimalValidBody_GivesADraftWithThePromptAndOneUrlImage()
    {
        var result = Parse(TestBodies.Valid());

        Assert.Null(result.Errors);
        var draft = Assert.IsType<VideoJobDraft>(result.Draft);
        Assert.Equal("A red fox runs through fresh snow at dawn.", draft.Request.Prompt);
        var image = Assert.Single(draft.Images);
        Assert.Equal(0, image.Index);
        Assert.Equal(new Uri(TestBodies.ImageUrl), image.Url);
        Assert.Null(image.Inspected);
        Assert.True(image.Bytes.IsEmpty);
        Assert.Equal(new VideoRequest(draft.Request.Prompt), draft.Request); // every option left to fal's default
    }

    [Fact]
    public void EveryOptionalField_IsCarriedIntoTheRequest()
    {
        var body = TestBodies.Valid();
        body["aspect_ratio"] = "9:16";
        body["duration"] = "8s";
        body["resolution"] = "1080p";
        body["generate_audio"] = false;
        body["seed"] = 42;
        body["negative_prompt"] = "blurry";
        body["auto_fix"] = true;
        body["safety_tolerance"] = "4";

        var draft = Parse(body).Draft;

        Assert.NotNull(draft);
        Assert.Equal(new VideoRequest(draft.Request.Prompt, "9:16", "8s", "1080p", false, 42, "blurry", true, "4"), draft.Request);
    }

    [Fact]
    public void ExplicitNulls_ForOptionalFields_MeanFalsDefaults()
    {
        var body = TestBodies.Valid();
        foreach (var field in new[] { "aspect_ratio", "duration", "resolution", "generate_audio", "seed", "negative_prompt", "auto_fix", "safety_tolerance" })
        {
            body[field] = null;
        }

        var draft = Parse(body).Draft;

        Assert.NotNull(draft);
        Assert.Equal(new VideoRequest(draft.Request.Prompt), draft.Request);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"prompt\":\"x\",}")]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"prompt\":'x'}")]
    public void MalformedJson_IsOneBodyError(string body)
    {
        var result = _parser.Parse(Encoding.UTF8.GetBytes(body));

        AssertOnlyError(result, "body");
        Assert.Contains("not valid JSON", result.Errors!["body"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[{\"prompt\":\"x\"}]")]
    [InlineData("\"prompt\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("true")]
    public void ARootThatIsNotAnObject_IsOneBodyError(string body)
    {
        var result = _parser.Parse(Encoding.UTF8.GetBytes(body));

        AssertOnlyError(result, "body");
        Assert.Equal("The body must be a JSON object.", result.Errors!["body"][0]);
    }

    [Fact]
    public void NestingDeeperThanSixteen_IsRefusedAsInvalidJson()
    {
        var body = TestBodies.Valid();
        JsonNode deep = 1;
        for (int i = 0; i < 16; i++)
        {
            deep = new JsonArray(deep);
        }

        body["seed"] = deep; // root object + 16 arrays = depth 17

        AssertOnlyError(Parse(body), "body");
    }

    [Fact]
    public void NestingOfExactlySixteen_IsParsedAndJudgedByField()
    {
        var body = TestBodies.Valid();
        JsonNode deep = 1;
        for (int i = 0; i < 15; i++)
        {
            deep = new JsonArray(deep);
        }

        body["seed"] = deep; // depth 16: parses, then seed is not a number

        AssertOnlyError(Parse(body), "seed");
    }

    [Fact]
    public void AnUnknownField_IsRefusedUnderItsOwnName()
    {
        var body = TestBodies.Valid();
        body["promt"] = "typo";

        var result = Parse(body);

        AssertOnlyError(result, "promt");
        Assert.Contains("Unknown field", result.Errors!["promt"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownFieldWithAVeryLongName_IsReportedUnderItsFirst64Characters()
    {
        var body = TestBodies.Valid();
        string name = new('z', 1000);
        body[name] = 1;

        var result = Parse(body);

        AssertOnlyError(result, new string('z', 64));
    }

    [Fact]
    public void FieldNames_AreCaseSensitive()
    {
        var body = new JsonObject { ["Prompt"] = "x", ["image_urls"] = new JsonArray(TestBodies.ImageUrl) };

        var result = Parse(body);

        Assert.Null(result.Draft);
        Assert.Equal(["Prompt", "prompt"], result.Errors!.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SeveralMistakes_AreAllReportedAtOnce()
    {
        var body = new JsonObject { ["aspect_ratio"] = "4:3", ["seed"] = -1, ["extra"] = true };

        var result = Parse(body);

        Assert.Null(result.Draft);
        Assert.Equal(["aspect_ratio", "extra", "image_urls", "prompt", "seed"], result.Errors!.Keys.Order(StringComparer.Ordinal));
    }

    // --- prompt ---

    [Fact]
    public void AMissingPrompt_IsRequired()
    {
        var body = TestBodies.Valid();
        body.Remove("prompt");

        AssertOnlyError(Parse(body), "prompt");
    }

    [Fact]
    public void ANullPrompt_IsRequired() => AssertOnlyError(ParseWith("prompt", null), "prompt");

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\n\t\r ")]
    public void ABlankPrompt_IsRefused(string prompt) => AssertOnlyError(ParseWith("prompt", prompt), "prompt");

    [Fact]
    public void APromptOfExactlyTheMaximumLength_IsAccepted() =>
        Assert.NotNull(ParseWith("prompt", new string('a', TestBodies.Jobs().MaxPromptLength)).Draft);

    [Fact]
    public void APromptOneCharacterTooLong_IsRefusedWithBothLengths()
    {
        int max = TestBodies.Jobs().MaxPromptLength;

        var result = ParseWith("prompt", new string('a', max + 1));

        AssertOnlyError(result, "prompt");
        Assert.Contains($"{max}", result.Errors!["prompt"][0], StringComparison.Ordinal);
        Assert.Contains($"{max + 1}", result.Errors!["prompt"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void TheMaximumPromptLength_ComesFromJobOptions()
    {
        var parser = TestBodies.Parser(new JobOptions { PublicBaseUrl = new("https://app.example"), MaxPromptLength = 10 });
        var body = TestBodies.Valid();
        body["prompt"] = "12345678901";

        Assert.Equal(["prompt"], parser.Parse(TestBodies.Bytes(body)).Errors!.Keys);
    }

    [Theory]
    [InlineData("bell\u0007")]
    [InlineData("nul\u0000inside")]
    [InlineData("escape\u001b[31m")]
    [InlineData("delete\u007f")]
    [InlineData("next line\u0085")]
    public void APromptWithControlCharacters_IsRefused(string prompt) => AssertOnlyError(ParseWith("prompt", prompt), "prompt");

    [Theory]
    [InlineData("line one\nline two")]
    [InlineData("tab\tseparated\r\n")]
    [InlineData("emoji 🦊 and RTL \u200f مرحبا")]
    public void APromptWithNewlinesTabsAndUnicode_IsAccepted(string prompt) =>
        Assert.Equal(prompt, ParseWith("prompt", prompt).Draft?.Request.Prompt);

    [Theory]
    [InlineData(42)]
    [InlineData(true)]
    public void APromptThatIsNotAString_IsRefused(object value) => AssertOnlyError(ParseWith("prompt", JsonValue.Create(value)), "prompt");

    [Fact]
    public void APromptThatIsAnArray_IsRefused() => AssertOnlyError(ParseWith("prompt", new JsonArray("x")), "prompt");

    [Fact]
    public void APromptWithALoneSurrogateEscape_IsAFieldErrorNotAnException()
    {
        var result = _parser.Parse("{\"prompt\":\"fox \\ud800\",\"image_urls\":[\"https://example.com/a.png\"]}"u8.ToArray());

        Assert.Null(result.Draft);
        Assert.NotNull(result.Errors);
    }

    [Fact]
    public void APromptWithInvalidUtf8_IsAnErrorNotAnException()
    {
        byte[] body = [.. "{\"prompt\":\"fox "u8, 0xC0, 0xAF, .. "\",\"image_urls\":[\"https://example.com/a.png\"]}"u8];

        var result = _parser.Parse(body);

        Assert.Null(result.Draft);
        Assert.NotNull(result.Errors);
    }

    // --- negative_prompt ---

    [Fact]
    public void ANegativePromptMayBeEmpty() => Assert.Equal("", ParseWith("negative_prompt", "").Draft?.Request.NegativePrompt);

    [Fact]
    public void ANegativePromptTooLong_IsRefused() =>
        AssertOnlyError(ParseWith("negative_prompt", new string('a', TestBodies.Jobs().MaxPromptLength + 1)), "negative_prompt");

    [Fact]
    public void ANegativePromptWithControlCharacters_IsRefused() => AssertOnlyError(ParseWith("negative_prompt", "a\u0001b"), "negative_prompt");

    [Fact]
    public void ANegativePromptThatIsNotAString_IsRefused() => AssertOnlyError(ParseWith("negative_prompt", 1), "negative_prompt");

    // --- image_urls ---

    [Fact]
    public void MissingImageUrls_AreRequired()
    {
        var body = TestBodies.Valid();
        body.Remove("image_urls");

        AssertOnlyError(Parse(body), "image_urls");
    }

    [Fact]
    public void NullImageUrls_AreRequired() => AssertOnlyError(ParseWith("image_urls", null), "image_urls");

    [Fact]
    public void ImageUrlsAsASingleString_AreRefused() => AssertOnlyError(ParseWith("image_urls", TestBodies.ImageUrl), "image_urls");

    [Fact]
    public void ImageUrlsAsAnObject_AreRefused() => AssertOnlyError(ParseWith("image_urls", new JsonObject { ["0"] = TestBodies.ImageUrl }), "image_urls");

    [Fact]
    public void NoImages_AreRefused()
    {
        var result = ParseWith("image_urls", new JsonArray());

        AssertOnlyError(result, "image_urls");
        Assert.Contains("got 0", result.Errors!["image_urls"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void ThreeImages_AreAcceptedInOrder()
    {
        var draft = ParseWith("image_urls", new JsonArray("https://example.com/0.png", "https://example.com/1.png", "https://example.com/2.png")).Draft;

        Assert.NotNull(draft);
        Assert.Equal([0, 1, 2], draft.Images.Select(i => i.Index));
        Assert.Equal("https://example.com/2.png", draft.Images[2].Url!.AbsoluteUri);
    }

    [Fact]
    public void FourImages_AreRefused()
    {
        var result = ParseWith("image_urls", new JsonArray("https://example.com/0.png", "https://example.com/1.png", "https://example.com/2.png", "https://example.com/3.png"));

        AssertOnlyError(result, "image_urls");
        Assert.Contains("got 4", result.Errors!["image_urls"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void TheImageCountLimits_ComeFromImageOptions()
    {
        var parser = TestBodies.Parser(images: new ImageOptions { MinImages = 2, MaxImages = 2 });

        Assert.Equal(["image_urls"], parser.Parse(TestBodies.Bytes(TestBodies.Valid())).Errors!.Keys);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(true)]
    public void AnImageThatIsNotAString_IsRefusedByItsIndex(object value)
    {
        var result = ParseWith("image_urls", new JsonArray(TestBodies.ImageUrl, JsonValue.Create(value)));

        AssertOnlyError(result, "image_urls[1]");
    }

    [Fact]
    public void ANullImage_IsRefusedByItsIndex() => AssertOnlyError(ParseWith("image_urls", new JsonArray(TestBodies.ImageUrl, null)), "image_urls[1]");

    [Fact]
    public void ANestedArrayImage_IsRefusedByItsIndex() =>
        AssertOnlyError(ParseWith("image_urls", new JsonArray(new JsonArray(TestBodies.ImageUrl))), "image_urls[0]");

    [Fact]
    public void AnHttpUrl_IsRefusedByDefault() => AssertOnlyError(ParseWith("image_urls", new JsonArray(TestBodies.ImageUrl, "http://example.com/b.png")), "image_urls[1]");

    [Fact]
    public void AnHttpUrl_IsAcceptedWhenHttpIsAllowed()
    {
        var parser = TestBodies.Parser(images: new ImageOptions { AllowHttp = true });

        Assert.NotNull(parser.Parse(TestBodies.Bytes(new JsonObject { ["prompt"] = "x", ["image_urls"] = new JsonArray("http://example.com/b.png") })).Draft);
    }

    [Theory]
    [InlineData("")]
    [InlineData("example.com/a.png")]
    [InlineData("ftp://example.com/a.png")]
    [InlineData("https://user:pass@example.com/a.png")]
    [InlineData("https://127.0.0.1/a.png")]
    [InlineData("https://10.0.0.5/a.png")]
    [InlineData("file:///etc/passwd")]
    [InlineData("https://exa mple.com/a.png")]
    public void AnUnsafeOrInvalidUrl_IsRefusedByItsIndex(string url) => AssertOnlyError(ParseWith("image_urls", new JsonArray(url)), "image_urls[0]");

    [Fact]
    public void AValidPngDataUri_IsDecodedAndInspected()
    {
        byte[] png = TestImages.Png(4, 3);

        var draft = ParseWith("image_urls", new JsonArray(TestBodies.ImageUrl, "data:image/png;base64," + Convert.ToBase64String(png))).Draft;

        Assert.NotNull(draft);
        var image = draft.Images[1];
        Assert.Equal(1, image.Index);
        Assert.Null(image.Url);
        Assert.Equal(png, image.Bytes.ToArray());
        Assert.Equal(new InspectedImage(ImageFormat.Png, 4, 3), image.Inspected);
    }

    [Fact]
    public void AZipInADataUri_IsRefusedByItsIndex() =>
        AssertOnlyError(ParseWith("image_urls", new JsonArray(TestBodies.ImageUrl, TestBodies.ZipDataUri())), "image_urls[1]");

    [Fact]
    public void ATruncatedPngInADataUri_IsRefusedByItsIndex() =>
        AssertOnlyError(ParseWith("image_urls", new JsonArray(TestBodies.ImageUrl, TestBodies.TruncatedPngDataUri())), "image_urls[1]");

    [Theory]
    [InlineData("data:image/png,notbase64")]
    [InlineData("data:image/png;base64,")]
    [InlineData("data:image/png;base64,@@@@")]
    [InlineData("data:")]
    public void AMalformedDataUri_IsRefusedByItsIndex(string uri) =>
        AssertOnlyError(ParseWith("image_urls", new JsonArray(TestBodies.ImageUrl, uri)), "image_urls[1]");

    [Fact]
    public void ADataUriOverEightMegabytes_IsRefusedByItsIndex()
    {
        var payload = new byte[(8 * 1024 * 1024) + 3];
        TestImages.Png(4, 3).CopyTo(payload, 0);

        var result = ParseWith("image_urls", new JsonArray(TestBodies.ImageUrl, "data:image/png;base64," + Convert.ToBase64String(payload)));

        AssertOnlyError(result, "image_urls[1]");
        Assert.Contains("at most", result.Errors!["image_urls[1]"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void EachBadImage_IsReportedSeparately()
    {
        var result = ParseWith("image_urls", new JsonArray("http://example.com/a.png", TestBodies.ImageUrl, TestBodies.ZipDataUri()));

        Assert.Null(result.Draft);
        Assert.Equal(["image_urls[0]", "image_urls[2]"], result.Errors!.Keys.Order(StringComparer.Ordinal));
    }

    // --- enums ---

    [Theory]
    [InlineData("aspect_ratio", "16:9")]
    [InlineData("aspect_ratio", "9:16")]
    [InlineData("duration", "8s")]
    [InlineData("resolution", "720p")]
    [InlineData("resolution", "1080p")]
    [InlineData("resolution", "4k")]
    [InlineData("safety_tolerance", "1")]
    [InlineData("safety_tolerance", "2")]
    [InlineData("safety_tolerance", "3")]
    [InlineData("safety_tolerance", "4")]
    [InlineData("safety_tolerance", "5")]
    [InlineData("safety_tolerance", "6")]
    public void AnAllowedEnumValue_IsAccepted(string field, string value)
    {
        var request = ParseWith(field, value).Draft?.Request;

        Assert.NotNull(request);
        string? carried = field switch
        {
            "aspect_ratio" => request.AspectRatio,
            "duration" => request.Duration,
            "resolution" => request.Resolution,
            _ => request.SafetyTolerance,
        };
        Assert.Equal(value, carried);
    }

    [Theory]
    [InlineData("aspect_ratio", "4:3")]
    [InlineData("aspect_ratio", "16:9 ")]
    [InlineData("aspect_ratio", "")]
    [InlineData("duration", "4s")]
    [InlineData("duration", "8S")]
    [InlineData("duration", "8")]
    [InlineData("resolution", "4K")]
    [InlineData("resolution", "480p")]
    [InlineData("resolution", "2160p")]
    [InlineData("safety_tolerance", "0")]
    [InlineData("safety_tolerance", "7")]
    [InlineData("safety_tolerance", " 1")]
    public void AnEnumValueOutsideTheList_IsRefusedWithTheAllowedValues(string field, string value)
    {
        var result = ParseWith(field, value);

        AssertOnlyError(result, field);
        Assert.StartsWith("Must be one of:", result.Errors![field][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("aspect_ratio")]
    [InlineData("duration")]
    [InlineData("resolution")]
    [InlineData("safety_tolerance")]
    public void AnEnumGivenAsANumberOrBoolOrArray_IsRefused(string field)
    {
        AssertOnlyError(ParseWith(field, 8), field);
        AssertOnlyError(ParseWith(field, true), field);
        AssertOnlyError(ParseWith(field, new JsonArray("1")), field);
    }

    [Fact]
    public void SafetyToleranceAsTheNumberFour_IsRefused() => AssertOnlyError(ParseWith("safety_tolerance", 4), "safety_tolerance");

    // --- booleans ---

    [Theory]
    [InlineData("generate_audio")]
    [InlineData("auto_fix")]
    public void ABooleanField_AcceptsTrueAndFalse(string field)
    {
        var yes = ParseWith(field, true).Draft?.Request;
        var no = ParseWith(field, false).Draft?.Request;

        Assert.Equal(true, field == "generate_audio" ? yes?.GenerateAudio : yes?.AutoFix);
        Assert.Equal(false, field == "generate_audio" ? no?.GenerateAudio : no?.AutoFix);
    }

    [Theory]
    [InlineData("generate_audio", "true")]
    [InlineData("generate_audio", "1")]
    [InlineData("auto_fix", "false")]
    [InlineData("auto_fix", "")]
    public void ABooleanFieldGivenAsAString_IsRefused(string field, string value) => AssertOnlyError(ParseWith(field, value), field);

    [Theory]
    [InlineData("generate_audio")]
    [InlineData("auto_fix")]
    public void ABooleanFieldGivenAsANumber_IsRefused(string field)
    {
        AssertOnlyError(ParseWith(field, 1), field);
        AssertOnlyError(ParseWith(field, 0), field);
    }

    // --- seed ---

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("-0", 0L)]
    [InlineData("42", 42L)]
    [InlineData("4294967295", 4294967295L)]
    public void ASeedInRange_IsAccepted(string literal, long expected)
    {
        var result = _parser.Parse(Encoding.UTF8.GetBytes($"{{\"prompt\":\"x\",\"image_urls\":[\"{TestBodies.ImageUrl}\"],\"seed\":{literal}}}"));

        Assert.Equal(expected, result.Draft?.Request.Seed);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("4294967296")]
    [InlineData("9007199254740993")]
    [InlineData("1.5")]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("1e400")]
    [InlineData("\"42\"")]
    [InlineData("true")]
    [InlineData("[42]")]
    public void ASeedOutOfRangeOrNotAWholeNumber_IsRefused(string literal)
    {
        var result = _parser.Parse(Encoding.UTF8.GetBytes($"{{\"prompt\":\"x\",\"image_urls\":[\"{TestBodies.ImageUrl}\"],\"seed\":{literal}}}"));

        AssertOnlyError(result, "seed");
    }
}
