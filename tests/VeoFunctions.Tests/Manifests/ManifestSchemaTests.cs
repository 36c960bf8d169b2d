using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using VeoFunctions.Jobs;
using VeoFunctions.Manifests;
using VeoFunctions.Testing;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Manifests;

/// <summary>
/// <c>schemas/manifest.schema.json</c> against the parser it describes (<see cref="ManifestParser"/>): the docs' manifest
/// examples validate (and parse), what the parser refuses the schema refuses, and the few rules a schema cannot express
/// are listed here and in the schema's description, each with a manifest that shows the gap.
/// </summary>
public sealed partial class ManifestSchemaTests
{
    private const string Job = """{"prompt":"A red fox runs through fresh snow at dawn.","image_urls":["https://example.com/a.png"]}""";

    private static ManifestParseResult Parse(string manifest)
    {
        var jobs = TestBodies.Jobs();
        return new ManifestParser(TestBodies.Parser(jobs), Options.Create(jobs)).Parse(Encoding.UTF8.GetBytes(manifest), OwnBlob);
    }

    // The app's images container as the door recognises it (its name is a setting; "images" by default).
    private static BlobImage? OwnBlob(string reference) =>
        reference.StartsWith("images/", StringComparison.Ordinal) ? new BlobImage("images", reference["images/".Length..]) : null;

    private static List<string> SchemaErrors(string manifest) => ContractFiles.Errors(ContractFiles.ManifestSchema, JsonNode.Parse(manifest));

    private static string With(string job, string extra) => job[..^1] + "," + extra + "}";

    // --- The schema itself ---

    [Fact]
    public void TheSchema_IsDraft202012_WithAnId()
    {
        var schema = JsonNode.Parse(File.ReadAllText(ContractFiles.InRepository(ContractFiles.ManifestSchemaPath)))!;

        Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)schema["$schema"]);
        Assert.Equal("https://veofunctions.dev/schemas/manifest.schema.json", (string?)schema["$id"]);
    }

    // --- The docs' examples ---

    /// <summary>Every fenced json block of README.md and docs/*.md that is a manifest (it has a "prompt" field).</summary>
    public static TheoryData<string, int, string> DocumentedManifests()
    {
        var data = new TheoryData<string, int, string>();
        string root = ContractFiles.InRepository("");
        var files = new[] { Path.Combine(root, "README.md") }.Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal));
        foreach (string file in files)
        {
            string text = File.ReadAllText(file);
            foreach (Match block in FencedJson().Matches(text))
            {
                if (PromptField().IsMatch(block.Groups[1].Value))
                {
                    int line = text[..block.Index].Count(c => c == '\n') + 1;
                    data.Add(Path.GetRelativePath(root, file), line, block.Groups[1].Value);
                }
            }
        }

        return data;
    }

    [Fact]
    public void TheDocs_HaveManifestExamples()
    {
        Assert.True(DocumentedManifests().Count >= 2, "No manifest examples found in README.md or docs/: the test below would hold nothing.");
    }

    [Theory]
    [MemberData(nameof(DocumentedManifests))]
    public void EveryManifestExampleInTheDocs_Validates_AndTheParserTakesIt(string file, int line, string manifest)
    {
        Assert.True(SchemaErrors(manifest) is [], $"{file}:{line}: {string.Join(" | ", SchemaErrors(manifest))}");
        Assert.True(Parse(manifest).IsValid, $"{file}:{line}: {string.Join(" | ", Parse(manifest).Problems.Select(p => $"{p.Field}: {p.Reason}"))}");
    }

    // --- Manifests both take ---

    [Theory]
    [InlineData(Job)]
    [InlineData("""{"$schema":"https://veofunctions.dev/schemas/manifest.schema.json","prompt":"x","image_urls":["images/heron.png"]}""")]
    [InlineData("""{"$schema":"../schemas/manifest.schema.json","run":"2026-12-08","jobs":[{"id":"shot-1","prompt":"x","image_urls":["images/a.png"]}]}""")]
    [InlineData("""[{"prompt":"x","image_urls":["https://example.com/a.png"]},{"id":null,"run":null,"prompt":"y","image_urls":["https://example.com/b.png"]}]""")]
    [InlineData("""{"id":"shot-1","run":"r.1_a-b","prompt":"Line one\nline two\ttab","image_urls":["https://example.com/a.png","images/b.png"],"aspect_ratio":"9:16","duration":"8s","resolution":"4k","generate_audio":false,"auto_fix":true,"seed":4294967295,"negative_prompt":"blurry","safety_tolerance":"6","callback_url":"https://hooks.example.com/veo","callback_events":"all","priority":"low"}""")]
    [InlineData("""{"aspect_ratio":null,"duration":null,"resolution":null,"generate_audio":null,"auto_fix":null,"seed":null,"negative_prompt":null,"safety_tolerance":null,"callback_url":null,"callback_events":null,"priority":null,"prompt":"x","image_urls":["https://example.com/a.png"]}""")]
    [InlineData("""{"priority":"low","callback_url":"https://hooks.example.com/veo","callback_events":"end","jobs":[{"prompt":"x","image_urls":["https://example.com/a.png"],"priority":"normal"}]}""")]
    public void AManifestTheParserTakes_Validates(string manifest)
    {
        Assert.True(Parse(manifest).IsValid, string.Join(" | ", Parse(manifest).Problems.Select(p => $"{p.Field}: {p.Reason}")));
        Assert.Empty(SchemaErrors(manifest));
    }

    [Fact]
    public void ASchemaReference_IsNotPartOfWhatTheJobIs_SoAddingItStartsNothingNew()
    {
        var plain = Assert.Single(Parse(Job).Jobs);
        var referenced = Assert.Single(Parse(With(Job, "\"$schema\":\"https://veofunctions.dev/schemas/manifest.schema.json\"")).Jobs);

        Assert.Equal(plain.Fingerprint, referenced.Fingerprint);
    }

    // --- What the parser refuses, the schema refuses ---

    public static TheoryData<string, string> Refused() => new()
    {
        { "not JSON's object or list", "\"a job\"" },
        { "a number", "42" },
        { "no fields", "{}" },
        { "no images", """{"prompt":"x"}""" },
        { "no prompt", """{"image_urls":["https://example.com/a.png"]}""" },
        { "a null prompt", """{"prompt":null,"image_urls":["https://example.com/a.png"]}""" },
        { "null images", """{"prompt":"x","image_urls":null}""" },
        { "an empty prompt", """{"prompt":"","image_urls":["https://example.com/a.png"]}""" },
        { "a blank prompt", """{"prompt":"  \n ","image_urls":["https://example.com/a.png"]}""" },
        { "a control character", """{"prompt":"a\u0001b","image_urls":["https://example.com/a.png"]}""" },
        { "a control character in the negative prompt", With(Job, "\"negative_prompt\":\"a\\u001bb\"") },
        { "a prompt too long", $$"""{"prompt":"{{new string('x', 5001)}}","image_urls":["https://example.com/a.png"]}""" },
        { "a number prompt", """{"prompt":5,"image_urls":["https://example.com/a.png"]}""" },
        { "an unknown field", With(Job, "\"promt\":\"x\"") },
        { "a typo of a field", With(Job, "\"aspectRatio\":\"16:9\"") },
        { "images not a list", """{"prompt":"x","image_urls":"https://example.com/a.png"}""" },
        { "no image in the list", """{"prompt":"x","image_urls":[]}""" },
        { "four images", """{"prompt":"x","image_urls":["https://example.com/a.png","https://example.com/b.png","https://example.com/c.png","https://example.com/d.png"]}""" },
        { "an image not a string", """{"prompt":"x","image_urls":[5]}""" },
        { "an ftp image", """{"prompt":"x","image_urls":["ftp://example.com/a.png"]}""" },
        { "an http image", """{"prompt":"x","image_urls":["http://example.com/a.png"]}""" },
        { "a bare file name", """{"prompt":"x","image_urls":["heron.png"]}""" },
        { "an aspect ratio", With(Job, "\"aspect_ratio\":\"4:3\"") },
        { "a duration", With(Job, "\"duration\":\"10s\"") },
        { "a resolution", With(Job, "\"resolution\":\"2k\"") },
        { "audio as text", With(Job, "\"generate_audio\":\"yes\"") },
        { "auto fix as a number", With(Job, "\"auto_fix\":1") },
        { "a negative seed", With(Job, "\"seed\":-1") },
        { "a seed too large", With(Job, "\"seed\":4294967296") },
        { "a seed as text", With(Job, "\"seed\":\"5\"") },
        { "a seed with a fraction", With(Job, "\"seed\":1.5") },
        { "a safety tolerance as a number", With(Job, "\"safety_tolerance\":3") },
        { "a safety tolerance out of range", With(Job, "\"safety_tolerance\":\"7\"") },
        { "a priority", With(Job, "\"priority\":\"high\"") },
        { "callback events", With(Job, "\"callback_url\":\"https://hooks.example.com/veo\",\"callback_events\":\"some\"") },
        { "callback events without a callback", With(Job, "\"callback_events\":\"all\"") },
        { "an http callback", With(Job, "\"callback_url\":\"http://hooks.example.com/veo\"") },
        { "a callback not a string", With(Job, "\"callback_url\":5") },
        { "an id not a string", With(Job, "\"id\":5") },
        { "an id with a space", With(Job, "\"id\":\"shot 1\"") },
        { "an id starting with a dash", With(Job, "\"id\":\"-shot\"") },
        { "an id too long", With(Job, $"\"id\":\"{new string('a', 65)}\"") },
        { "an empty id", With(Job, "\"id\":\"\"") },
        { "a run label with a slash", With(Job, "\"run\":\"2026/12/08\"") },
        { "a run label not a string", With(Job, "\"run\":20261208") },
        { "a schema reference not a string", With(Job, "\"$schema\":5") },
        { "an empty batch", """{"jobs":[]}""" },
        { "an empty list", "[]" },
        { "jobs not a list", """{"jobs":"x"}""" },
        { "a batch's unknown field", $$"""{"jobs":[{{Job}}],"color":"red"}""" },
        { "a batch's model field", $$"""{"jobs":[{{Job}}],"resolution":"4k"}""" },
        { "a batch's run label", $$"""{"run":"a b","jobs":[{{Job}}]}""" },
        { "a batch's priority", $$"""{"priority":"urgent","jobs":[{{Job}}]}""" },
        { "a batch's callback events without a callback", $$"""{"callback_events":"all","jobs":[{{Job}}]}""" },
        { "a batch's schema reference not a string", $$"""{"$schema":[],"jobs":[{{Job}}]}""" },
        { "a batch's entry not an object", """{"jobs":[5]}""" },
        { "a list's entry not an object", """["x"]""" },
        { "a batch's entry with an unknown field", $$"""{"jobs":[{{With(Job, "\"colour\":1")}}]}""" },
        { "an entry naming a schema", $$"""{"jobs":[{{With(Job, "\"$schema\":\"x\"")}}]}""" },
        { "a list's entry without images", """[{"prompt":"x"}]""" },
        { "a batch's entry with a bad id", $$"""{"jobs":[{{With(Job, "\"id\":\"a/b\"")}}]}""" },
        { "a batch with too many jobs", $$"""{"jobs":[{{string.Join(",", Enumerable.Repeat(Job, 1001))}}]}""" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void WhatTheParserRefuses_TheSchemaRefuses(string what, string manifest)
    {
        Assert.False(Parse(manifest).IsValid, $"{what}: the parser takes it");
        Assert.True(SchemaErrors(manifest) is not [], $"{what}: the schema takes it");
    }

    // --- What a schema cannot express: the parser alone refuses these ---

    /// <summary>
    /// The rules beyond a schema, as the schema's description lists them. A new gap must be added here and there; one
    /// a schema change closes fails <see cref="ARuleBeyondTheSchema_OnlyTheParserRefuses"/> until its example goes.
    /// </summary>
    private static readonly string[] BeyondTheSchema =
    [
        "duplicate ids",
        "images it cannot take",
        "a callback_url when the app has no signing secret",
        "limits that are settings",
        "duplicate keys",
        "invalid UTF-8",
        "a seed written with a fraction or exponent",
        "counted in UTF-16 code units",
    ];

    [Fact]
    public void EveryRuleBeyondTheSchema_IsListedInItsDescription()
    {
        string description = (string)JsonNode.Parse(File.ReadAllText(ContractFiles.InRepository(ContractFiles.ManifestSchemaPath)))!["description"]!;

        Assert.All(BeyondTheSchema, rule => Assert.Contains(rule, description, StringComparison.Ordinal));
    }

    /// <summary>
    /// A manifest for each rule a manifest can show (duplicate keys and invalid UTF-8 are not JSON a validator reads as
    /// the parser does; the limits are at their defaults here): the parser refuses it, the schema takes it.
    /// </summary>
    public static TheoryData<string, string> SemanticOnly() => new()
    {
        { "duplicate ids", $$"""{"jobs":[{{With(Job, "\"id\":\"a\"")}},{{With(Job, "\"id\":\"a\"")}}]}""" },
        { "images it cannot take", """{"prompt":"x","image_urls":["data:image/png;base64,UEsDBAo="]}""" },
        { "images it cannot take", """{"prompt":"x","image_urls":["https://localhost/a.png"]}""" },
        { "images it cannot take", """{"prompt":"x","image_urls":["pictures/a.png"]}""" },
        { "a callback_url when the app has no signing secret", With(Job, "\"callback_url\":\"https://192.168.1.10/hook\"") },
        { "a seed written with a fraction or exponent", With(Job, "\"seed\":8.0") },
        { "counted in UTF-16 code units", $$"""{"prompt":"{{string.Concat(Enumerable.Repeat("\U0001F98A", 2501))}}","image_urls":["https://example.com/a.png"]}""" },
    };

    [Theory]
    [MemberData(nameof(SemanticOnly))]
    public void ARuleBeyondTheSchema_OnlyTheParserRefuses(string rule, string manifest)
    {
        Assert.Contains(rule, BeyondTheSchema);
        Assert.False(Parse(manifest).IsValid, $"{rule}: the parser takes it");
        Assert.True(SchemaErrors(manifest) is [], $"{rule}: the schema refuses it now; take it off the list ({string.Join(" | ", SchemaErrors(manifest))})");
    }

    [GeneratedRegex("```json\\s*\\n(.*?)\\n\\s*```", RegexOptions.Singleline)]
    private static partial Regex FencedJson();

    [GeneratedRegex("\"prompt\"\\s*:")]
    private static partial Regex PromptField();
}
