using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using VeoFunctions.Jobs;

namespace VeoFunctions.Manifests;

/// <summary>
/// Reads a job manifest: one job (the HTTP body's fields plus an optional <c>id</c>), or a batch, either
/// <c>{"jobs":[…]}</c> (with <c>callback_url</c>, <c>callback_events</c> and <c>priority</c> as defaults for its
/// jobs) or a bare list of jobs. Every job is checked by <see cref="VideoRequestParser"/>, exactly as the HTTP door
/// checks a body, and the problems of every job are reported at once: at most <see cref="Errors.MaxListed"/> of them,
/// then how many more there were, so the error file of a huge bad manifest stays a few kilobytes.
/// </summary>
public sealed partial class ManifestParser(VideoRequestParser jobs, IOptions<JobOptions> options)
{
    /// <summary>
    /// <c>id</c> names an entry; <c>run</c> (on an entry or the batch) is a free label that is part of what the entry
    /// is, so changing it asks for a fresh run of an entry that is otherwise unchanged.
    /// </summary>
    private static readonly HashSet<string> OwnFields = ["id", "run"];

    /// <summary>
    /// A manifest (one job, or a batch) may name the schema it follows (schemas/manifest.schema.json) for editors and
    /// validators: the app ignores its value, and it is not part of what an entry is (adding it starts nothing new).
    /// </summary>
    public const string SchemaField = "$schema";

    private static readonly HashSet<string> SingleJobFields = [.. OwnFields, SchemaField];

    /// <summary>
    /// A batch's defaults for its jobs, in a fixed order. They change where fal's answer goes and how soon, not the video
    /// fal makes, so they are no part of a job's fingerprint (nor are a job's own): changing them starts nothing new.
    /// </summary>
    private static readonly string[] DefaultFields = ["callback_url", "callback_events", "priority"];

    /// <summary>What of the batch is part of each job's fingerprint.</summary>
    private static readonly string[] InheritedFields = ["run"];

    /// <summary>What of the batch the release that named entries by position took into each fingerprint, in its order.</summary>
    private static readonly string[] CanonicalFields = [.. DefaultFields, "run"];

    /// <summary>What of an entry is no part of its fingerprint: where the answer goes, how soon, and the schema's name.</summary>
    private static readonly string[] LeftOutFields = [.. DefaultFields, SchemaField];

    private static readonly HashSet<string> BatchFields = ["jobs", SchemaField, .. CanonicalFields];

    /// <param name="ownBlob">Recognises an image reference naming a blob of the app's images container.</param>
    public ManifestParseResult Parse(ReadOnlyMemory<byte> manifest, Func<string, BlobImage?> ownBlob)
    {
        ArgumentNullException.ThrowIfNull(ownBlob);
        if (manifest.Span.StartsWith("\uFEFF"u8))
        {
            manifest = manifest[3..];
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(manifest, VideoRequestParser.JsonOptions);
        }
        catch (JsonException ex)
        {
            return Invalid(new ManifestProblem(null, null, "manifest", $"The manifest is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})."));
        }

        using (document)
        {
            try
            {
                var unlisted = new Tally();
                return Bounded(ParseRoot(document.RootElement, ownBlob, unlisted), unlisted.Count);
            }
            catch (InvalidOperationException)
            {
                // The reader accepts invalid UTF-8 and unpaired surrogate escapes inside strings; reading them throws.
                return Invalid(new ManifestProblem(null, null, "manifest", "The manifest contains text that is not valid Unicode (invalid UTF-8 or an unpaired surrogate)."));
            }
        }
    }

    private ManifestParseResult ParseRoot(JsonElement root, Func<string, BlobImage?> ownBlob, Tally unlisted)
    {
        if (root.ValueKind == JsonValueKind.Array)
        {
            return ParseBatch(root, defaults: null, ownBlob, unlisted);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return Invalid(new ManifestProblem(null, null, "manifest", "The manifest must be a job (a JSON object) or a batch ({\"jobs\": [...]} or a list of jobs)."));
        }

        if (!root.TryGetProperty("jobs", out var list))
        {
            var single = ParseOne(root, 0, null, ownBlob, unlisted, out var problems, SingleJobFields);
            return single is null ? new([], problems) : new([single], []);
        }

        var batchProblems = root.EnumerateObject().Where(p => !BatchFields.Contains(p.Name))
            .Select(p => new ManifestProblem(null, null, p.Name, "Unknown field; a batch has jobs, callback_url, callback_events, priority, run and $schema.")).ToList();
        if (!IsRunLabel(root))
        {
            batchProblems.Add(new ManifestProblem(null, null, "run", RunShape));
        }

        if (!IsSchemaReference(root))
        {
            batchProblems.Add(new ManifestProblem(null, null, SchemaField, SchemaShape));
        }

        var defaultsErrors = new Errors();
        jobs.ParseJobFields(root, defaultsErrors);
        batchProblems.AddRange(defaultsErrors.SelectMany(e => e.Value.Select(reason => new ManifestProblem(null, null, e.Key, reason))));
        if (list.ValueKind != JsonValueKind.Array)
        {
            batchProblems.Add(new ManifestProblem(null, null, "jobs", "Must be a list of jobs."));
            return new([], batchProblems);
        }

        var batch = ParseBatch(list, root, ownBlob, unlisted);
        return batchProblems.Count == 0 ? batch : new(batch.Jobs, [.. batchProblems, .. batch.Problems]);
    }

    private ManifestParseResult ParseBatch(JsonElement list, JsonElement? defaults, Func<string, BlobImage?> ownBlob, Tally unlisted)
    {
        int count = list.GetArrayLength();
        int max = options.Value.MaxManifestJobs;
        if (count == 0 || count > max)
        {
            return Invalid(new ManifestProblem(null, null, "jobs", $"Give 1 to {max} jobs; got {count}."));
        }

        var parsed = new List<ManifestJob>(count);
        var problems = new List<ManifestProblem>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        int index = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                problems.Add(new ManifestProblem(index, null, "job", "Must be a JSON object with the HTTP body's fields."));
            }
            else if (ParseOne(item, index, defaults, ownBlob, unlisted, out var jobProblems, OwnFields) is { } job)
            {
                if (job.Id is not null && !ids.Add(job.Id))
                {
                    problems.Add(new ManifestProblem(index, job.Id, "id", "Another job of this manifest has the same id."));
                }

                // An entry without an id is named by what it is and how many identical ones came before it, never by its
                // position: inserting or removing another entry leaves its name as it was.
                int occurrence = 0;
                if (job.Id is null)
                {
                    occurrence = seen.GetValueOrDefault(job.Fingerprint);
                    seen[job.Fingerprint] = occurrence + 1;
                }

                parsed.Add(job with { Occurrence = occurrence });
            }
            else
            {
                problems.AddRange(jobProblems);
            }

            index++;
        }

        return new(parsed, problems);
    }

    private ManifestJob? ParseOne(JsonElement job, int index, JsonElement? defaults, Func<string, BlobImage?> ownBlob, Tally unlisted, out List<ManifestProblem> problems, HashSet<string> ownFields)
    {
        problems = [];
        string? id = null;
        if (job.TryGetProperty("id", out var idValue) && idValue.ValueKind != JsonValueKind.Null)
        {
            id = idValue.ValueKind == JsonValueKind.String ? idValue.GetString() : null;
            if (id is null || !IdShape().IsMatch(id))
            {
                problems.Add(new ManifestProblem(index, null, "id", "Must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit."));
                id = null;
            }
        }

        if (!IsRunLabel(job))
        {
            problems.Add(new ManifestProblem(index, id, "run", RunShape));
        }

        if (ownFields.Contains(SchemaField) && !IsSchemaReference(job))
        {
            problems.Add(new ManifestProblem(index, id, SchemaField, SchemaShape));
        }

        var result = jobs.ParseJob(job, ownBlob, ownFields);
        if (result.Errors is { } errors)
        {
            problems.AddRange(errors.SelectMany(e => e.Value.Select(reason => new ManifestProblem(index, id, e.Key, reason))));
            unlisted.Count += errors.Unlisted;
        }

        if (defaults is { } batch && result.Draft is { } own)
        {
            // A batch's own callback and priority apply to each job that names none (the batch's are checked once, in ParseRoot).
            var (callback, priority) = jobs.ParseJobFields(batch, new Errors());
            result = ParseResult.Valid(own with
            {
                Callback = job.TryGetProperty("callback_url", out _) ? own.Callback : callback,
                Priority = job.TryGetProperty("priority", out _) ? own.Priority : priority,
            });
        }

        if (problems.Count > 0 || result.Draft is null)
        {
            return null;
        }

        return new ManifestJob(index, id, result.Draft, Fingerprint(job, defaults, LeftOutFields, InheritedFields),
            Earlier: new EarlierFingerprints(Fingerprint(job, defaults, [SchemaField], CanonicalFields), RawFingerprint(job, defaults)));
    }

    // What the entry asks fal to make: its own JSON without the fields that only say where the answer goes and how soon
    // (left out), and the batch fields it takes (inherited), written canonically (properties sorted, no whitespace), so
    // a pipeline that re-serialises the same entry differently gets the same job. Not the whole batch, whose hashing once
    // per job would be quadratic in the manifest's size (a batch of data: images is tens of MB).
    private static string Fingerprint(JsonElement job, JsonElement? batch, string[] leftOut, string[] inherited)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var writer = new Utf8JsonWriter(new HashWriter(hash)))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("job");
            WriteCanonical(writer, job, leftOut);
            foreach (string field in inherited)
            {
                if (batch is { } defaults && defaults.TryGetProperty(field, out var value))
                {
                    writer.WritePropertyName("batch." + field);
                    WriteCanonical(writer, value, []);
                }
            }

            writer.WriteEndObject();
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // The fingerprint of the release that named an entry by the blob's ETag (kept in its claims): the entry's text as
    // written and the batch's defaults, so the same bytes give the same digest.
    private static string RawFingerprint(JsonElement job, JsonElement? batch)
    {
        var text = new StringBuilder(job.GetRawText()).Append('\n');
        foreach (string field in DefaultFields)
        {
            if (batch is { } defaults && defaults.TryGetProperty(field, out var value))
            {
                text.Append(field).Append('=').Append(value.GetRawText()).Append('\n');
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    // Only the top level of an entry leaves fields out: an image's own fields are all part of it.
    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement value, string[] leftOut)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject().Where(p => !leftOut.Contains(p.Name)).OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value, []);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteCanonical(writer, item, []);
                }

                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    /// <summary>Feeds what the canonical writer writes straight into the hash: a data: image is not copied again.</summary>
    private sealed class HashWriter(IncrementalHash hash) : System.Buffers.IBufferWriter<byte>
    {
        private byte[] _buffer = new byte[4096];

        public void Advance(int count) => hash.AppendData(_buffer, 0, count);

        public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).Span;

        private Memory<byte> Ensure(int sizeHint)
        {
            if (sizeHint > _buffer.Length)
            {
                _buffer = new byte[sizeHint];
            }

            return _buffer;
        }
    }

    private const string RunShape = "Must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit: a label that asks for a fresh run when changed.";

    private const string SchemaShape = "Must be a string: the URL or path of the manifest schema (schemas/manifest.schema.json).";

    // Absent, null, or a string.
    private static bool IsSchemaReference(JsonElement owner) =>
        !owner.TryGetProperty(SchemaField, out var value) || value.ValueKind is JsonValueKind.Null or JsonValueKind.String;

    // Absent, null, or a label of the id's shape.
    private static bool IsRunLabel(JsonElement owner) =>
        !owner.TryGetProperty("run", out var run) || run.ValueKind == JsonValueKind.Null
        || (run.ValueKind == JsonValueKind.String && IdShape().IsMatch(run.GetString()!));

    private static ManifestParseResult Invalid(ManifestProblem problem) => new([], [problem]);

    // At most MaxListed problems, then one line that counts the rest: those cut here and those each job's parser only
    // counted (unlisted).
    private static ManifestParseResult Bounded(ManifestParseResult result, int unlisted)
    {
        int cut = Math.Max(0, result.Problems.Count - Errors.MaxListed);
        return cut + unlisted == 0
            ? result
            : result with { Problems = [.. result.Problems.Take(Errors.MaxListed), new ManifestProblem(null, null, "manifest", Errors.UnlistedReason(cut + unlisted))] };
    }

    /// <summary>Problems counted but not kept, across a manifest's jobs.</summary>
    private sealed class Tally
    {
        public int Count { get; set; }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex IdShape();
}
