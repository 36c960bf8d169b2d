using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Functions;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using VeoFunctions.Storage;
using VeoFunctions.Tests.Support;
using Xunit.Abstractions;

namespace VeoFunctions.Tests.Functions;

/// <summary>
/// Thousands of generated and mutated bodies against <c>POST /api/videos</c>: every one must be answered (400, 202,
/// or 413 when over the size limit), never thrown, and only a 202 may start a job. Seeded, so a failure reproduces.
/// </summary>
public sealed class StartVideoJobFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20250601;
    private const int Count = 12_000;
    private const int MaxRequestBytes = 2 * 1024 * 1024;

    [Fact]
    public async Task TwelveThousandGeneratedBodies_AreAnswered400Or202Or413_AndOnlyThe202sStartJobs()
    {
        var tally = await RunAsync(FuzzCorpus.Generate(Seed, Count));

        Assert.Empty(tally.Exceptions);
        Assert.Empty(tally.Unexpected);
        Assert.True(tally.Accepted > 500, "The corpus must reach the scheduling path often.");
        Assert.True(tally.Refused > 5_000, "The corpus must reach the validation path often.");
        Assert.True(tally.TooLarge > 0, "The corpus must include oversize bodies.");
    }

    private async Task<Tally> RunAsync(IReadOnlyList<FuzzCase> cases)
    {
        var storage = new FakeBlobStorage();
        var durable = new FakeDurableClient();
        var jobs = TestBodies.Jobs();
        jobs.MaxRequestBytes = MaxRequestBytes;
        var containers = storage.Containers();
        var time = new FakeTimeProvider();
        var spending = TestMoney.Spending(storage, time);
        var scheduler = new JobScheduler(new ImageStaging(containers), new JobClaims(containers, time), new JobIndex(containers), Options.Create(jobs), time, spending);
        var function = new StartVideoJob(TestBodies.Parser(jobs), scheduler, Options.Create(jobs), spending);
        var tally = new Tally();
        var clock = Stopwatch.StartNew();

        foreach (var fuzz in cases)
        {
            IActionResult result;
            try
            {
                result = await function.RunAsync(TestRequests.Post(fuzz.Body, chunked: fuzz.Chunked), durable.Object, CancellationToken.None);
            }
            catch (Exception ex)
            {
                tally.Exceptions.Add($"{fuzz.Kind}: {ex.GetType().Name}: {ex.Message} :: {Preview(fuzz.Body)}");
                continue;
            }

            int? status = TestRequests.StatusOf(result);
            bool oversize = fuzz.Body.Length > MaxRequestBytes;
            switch (status)
            {
                case 202 when !oversize:
                    tally.Accepted++;
                    break;
                case 400 when !oversize && result is ObjectResult { Value: ProblemDetails }:
                    tally.Refused++;
                    break;
                case 413 when oversize:
                    tally.TooLarge++;
                    break;
                default:
                    tally.Unexpected.Add($"{fuzz.Kind}: {status} for {fuzz.Body.Length} bytes :: {Preview(fuzz.Body)}");
                    break;
            }
        }

        output.WriteLine($"seed {Seed}: total {cases.Count}, 202s {tally.Accepted}, 400s {tally.Refused}, 413s {tally.TooLarge}, other {tally.Unexpected.Count}, exceptions {tally.Exceptions.Count}, {clock.ElapsedMilliseconds} ms");
        foreach (var kind in cases.GroupBy(c => c.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {kind.Key}: {kind.Count()}");
        }

        foreach (var line in tally.Exceptions.Concat(tally.Unexpected).Take(10))
        {
            output.WriteLine(line);
        }

        // No job starts for anything but a 202, and every 202 started exactly one.
        durable.VerifyScheduled(tally.Accepted);
        Assert.Equal(tally.Accepted, durable.Scheduled.Select(s => s.InstanceId).Distinct().Count());
        Assert.All(durable.Scheduled, s => Assert.Equal(nameof(VideoJobOrchestrator), s.Name));
        return tally;
    }

    private static string Preview(byte[] body) => Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 160)));

    private sealed class Tally
    {
        public int Accepted;
        public int Refused;
        public int TooLarge;

        public List<string> Exceptions { get; } = [];

        public List<string> Unexpected { get; } = [];
    }
}

internal sealed record FuzzCase(string Kind, byte[] Body, bool Chunked);

/// <summary>The generator: structured mutations of the model's input, raw byte mutations, and edge cases.</summary>
internal static class FuzzCorpus
{
    private static readonly string[] Fields =
        ["prompt", "image_urls", "aspect_ratio", "duration", "resolution", "generate_audio", "seed", "negative_prompt", "auto_fix", "safety_tolerance"];

    private static readonly string[] UnknownNames =
        ["promt", "Prompt", "", " prompt", "image_url", "__proto__", "constructor", "\\u0000", "\\u202eprompt", "🦊", "\\ud83e\\udd8a", "$ref", "prompt\\u0000"];

    /// <summary>JSON literals of every type, including the awkward ones.</summary>
    private static readonly string[] Literals =
    [
        "null", "true", "false", "0", "-0", "1", "-1", "42", "4294967295", "4294967296", "9007199254740993", "1e400", "-1e400", "1.5", "1e3",
        "0.0", "1E+2", "123456789012345678901234567890", "\"\"", "\" \"", "\"x\"", "[]", "{}", "[null]", "[[]]", "{\"a\":1}", "[1,2,3]",
        "\"16:9\"", "\"9:16\"", "\"8s\"", "\"720p\"", "\"1080p\"", "\"4k\"", "\"4K\"", "\"1\"", "\"6\"", "\"7\"", "\"true\"",
        "\"\\u0000\"", "\"a\\u0000b\"", "\"\\u200f\\u202e rtl\"", "\"\\ud83e\\udd8a fox\"", "\"🦊 fox\"", "\"\\ufeffbom\"", "\"\\t\\n\"", "\"\\u0007\"",
        "\"https://example.com/a.png\"", "\"http://example.com/a.png\"", "\"data:image/png;base64,AAAA\"", "\"javascript:alert(1)\"",
        "[\"https://example.com/a.png\"]", "[\"https://example.com/a.png\",\"https://example.com/b.png\",\"https://example.com/c.png\",\"https://example.com/d.png\"]",
        "[\"https://127.0.0.1/a.png\"]", "[\"data:image/png;base64,\"]", "[1]", "[null,null]", "[\"\"]",
    ];

    /// <summary>Literals whose strings cannot become UTF-16: the known bug's trigger, kept in the corpus.</summary>
    private static readonly string[] BadUnicodeLiterals = ["\"\\ud800\"", "\"a\\udc00b\"", "\"\\ud800\\ud800\"", "[\"\\udfff\"]"];

    private static readonly byte[][] RawByteSequences =
    [
        [0xED, 0xA0, 0x80], // a lone surrogate encoded as UTF-8
        [0xC0, 0xAF], // an overlong '/'
        [0xE0, 0x80, 0xAF], // an overlong '/' in three bytes
        [0xF4, 0x90, 0x80, 0x80], // above U+10FFFF
        [0xFF], [0xFE], [0x80], [0x00], [0xEF, 0xBB, 0xBF], [0xE2, 0x80, 0xAE], [0xF0, 0x9F, 0xA6, 0x8A],
    ];

    public static List<FuzzCase> Generate(int seed, int count)
    {
        var random = new Random(seed);
        var cases = new List<FuzzCase>(count);
        while (cases.Count < count)
        {
            int pick = random.Next(1000);
            var fuzz = pick switch
            {
                < 80 => new FuzzCase("valid", Utf8(ValidBody(random)), false),
                < 480 => new FuzzCase("field-mutation", Utf8(MutatedFields(random)), false),
                < 620 => new FuzzCase("byte-flip", ByteFlip(random, Utf8(ValidBody(random))), false),
                < 720 => new FuzzCase("truncation", Truncate(random, Utf8(ValidBody(random))), false),
                < 770 => new FuzzCase("deep-nesting", Utf8(DeepNesting(random)), false),
                < 840 => new FuzzCase("raw-unicode", RawUnicode(random), false),
                < 880 => new FuzzCase("duplicate-keys", Utf8(DuplicateKeys(random)), false),
                < 920 => new FuzzCase("bad-unicode-escape", Utf8(WithField(random, Fields[random.Next(Fields.Length)], BadUnicodeLiterals[random.Next(BadUnicodeLiterals.Length)])), false),
                < 960 => new FuzzCase("token-soup", TokenSoup(random), false),
                < 990 => new FuzzCase("chunked", Utf8(random.Next(2) == 0 ? ValidBody(random) : MutatedFields(random)), true),
                < 996 => new FuzzCase("huge-string", Utf8(WithField(random, random.Next(2) == 0 ? "prompt" : "zzz", "\"" + new string('a', (1024 * 1024) + random.Next(1000)) + "\"")), random.Next(2) == 0),
                _ => new FuzzCase("oversize", Utf8(WithField(random, "prompt", "\"" + new string('b', MaxBytes + random.Next(1, 1000)) + "\"")), random.Next(2) == 0),
            };
            cases.Add(fuzz);
        }

        return cases;
    }

    private const int MaxBytes = 2 * 1024 * 1024;

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Quote(string s) => JsonSerializer.Serialize(s);

    private static string Object(IEnumerable<(string Name, string Literal)> fields) =>
        "{" + string.Join(",", fields.Select(f => $"\"{f.Name}\":{f.Literal}")) + "}";

    private static List<(string Name, string Literal)> ValidFields(Random random)
    {
        var fields = new List<(string, string)>
        {
            ("prompt", Quote(Prompt(random))),
            ("image_urls", "[" + string.Join(",", Enumerable.Range(0, random.Next(1, 4)).Select(i => random.Next(40) == 0 ? Quote(TestBodies.PngDataUri(1 + random.Next(8), 1 + random.Next(8))) : Quote($"https://example.com/{i}.png?v={random.Next()}"))) + "]"),
        };
        if (random.Next(2) == 0) { fields.Add(("aspect_ratio", Quote(random.Next(2) == 0 ? "16:9" : "9:16"))); }
        if (random.Next(2) == 0) { fields.Add(("duration", "\"8s\"")); }
        if (random.Next(2) == 0) { fields.Add(("resolution", Quote(new[] { "720p", "1080p", "4k" }[random.Next(3)]))); }
        if (random.Next(2) == 0) { fields.Add(("generate_audio", random.Next(2) == 0 ? "true" : "false")); }
        if (random.Next(2) == 0) { fields.Add(("seed", ((long)random.Next() * 2).ToString(System.Globalization.CultureInfo.InvariantCulture))); }
        if (random.Next(2) == 0) { fields.Add(("negative_prompt", Quote(Prompt(random)))); }
        if (random.Next(2) == 0) { fields.Add(("auto_fix", random.Next(2) == 0 ? "true" : "false")); }
        if (random.Next(2) == 0) { fields.Add(("safety_tolerance", Quote(((char)('1' + random.Next(6))).ToString()))); }
        return fields.OrderBy(_ => random.Next()).ToList();
    }

    private static string Prompt(Random random)
    {
        string[] words = ["fox", "snow", "dawn", "🦊", "مرحبا", "\u200f", "日本", "\t", "\n", "é", "\ufeff", "Ω", "𝔘"];
        return string.Join(" ", Enumerable.Range(0, 1 + random.Next(12)).Select(_ => words[random.Next(words.Length)])) + " x";
    }

    private static string ValidBody(Random random) => Object(ValidFields(random));

    private static string WithField(Random random, string name, string literal)
    {
        var fields = ValidFields(random).Where(f => f.Name != name).ToList();
        fields.Insert(random.Next(fields.Count + 1), (name, literal));
        return Object(fields);
    }

    private static string MutatedFields(Random random)
    {
        var fields = ValidFields(random);
        int mutations = 1 + random.Next(4);
        for (int m = 0; m < mutations; m++)
        {
            switch (random.Next(5))
            {
                case 0 when fields.Count > 0:
                    fields.RemoveAt(random.Next(fields.Count));
                    break;
                case 1:
                    fields.Add((UnknownNames[random.Next(UnknownNames.Length)], Literals[random.Next(Literals.Length)]));
                    break;
                default:
                    string name = Fields[random.Next(Fields.Length)];
                    fields.RemoveAll(f => f.Name == name);
                    fields.Add((name, Literals[random.Next(Literals.Length)]));
                    break;
            }
        }

        return Object(fields);
    }

    private static string DuplicateKeys(Random random)
    {
        var fields = ValidFields(random);
        var twin = fields[random.Next(fields.Count)];
        fields.Insert(random.Next(fields.Count + 1), (twin.Name, random.Next(2) == 0 ? twin.Literal : Literals[random.Next(Literals.Length)]));
        return Object(fields);
    }

    private static string DeepNesting(Random random)
    {
        int depth = random.Next(3) == 0 ? 1000 : 10 + random.Next(20);
        bool arrays = random.Next(2) == 0;
        string open = arrays ? "[" : "{\"a\":";
        string close = arrays ? "]" : "}";
        string nested = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        return random.Next(4) == 0 ? nested : WithField(random, Fields[random.Next(Fields.Length)], nested);
    }

    private static byte[] ByteFlip(Random random, byte[] body)
    {
        int flips = 1 + random.Next(3);
        for (int i = 0; i < flips; i++)
        {
            int at = random.Next(body.Length);
            body[at] = random.Next(2) == 0 ? (byte)(body[at] ^ (1 << random.Next(8))) : (byte)random.Next(256);
        }

        return body;
    }

    private static byte[] Truncate(Random random, byte[] body) => body[..random.Next(body.Length)];

    private static byte[] RawUnicode(Random random)
    {
        byte[] sequence = RawByteSequences[random.Next(RawByteSequences.Length)];
        byte[] body = Utf8(ValidBody(random));
        if (random.Next(5) == 0)
        {
            return [.. sequence, .. body]; // before the root, as a BOM would be
        }

        // Inside the prompt's string value.
        int at = Array.IndexOf(body, (byte)'x', Encoding.UTF8.GetByteCount("{\"prompt\":\""));
        at = at < 0 ? random.Next(body.Length) : at;
        return [.. body[..at], .. sequence, .. body[at..]];
    }

    private static byte[] TokenSoup(Random random)
    {
        string[] tokens = ["{", "}", "[", "]", ":", ",", "\"", "\"prompt\"", "\"image_urls\"", "null", "true", "1", "-", "e", ".", "\\", "\\u", " ", "\n", "/*", "*/", "//", "NaN", "Infinity", "'"];
        if (random.Next(4) == 0)
        {
            var bytes = new byte[random.Next(64)];
            random.NextBytes(bytes);
            return bytes;
        }

        return Utf8(string.Concat(Enumerable.Range(0, random.Next(40)).Select(_ => tokens[random.Next(tokens.Length)])));
    }
}
