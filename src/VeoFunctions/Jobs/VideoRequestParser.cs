using System.Text.Json;
using Fal.Veo31;
using Microsoft.Extensions.Options;
using VeoFunctions.Images;

namespace VeoFunctions.Jobs;

/// <summary>
/// Turns a JSON object shaped like the model's input (plus <c>callback_url</c>, <c>callback_events</c> and
/// <c>priority</c>) into a <see cref="VideoJobDraft"/>, or into errors keyed by field (<c>prompt</c>,
/// <c>image_urls[1]</c>…). One parser for both doors: the HTTP body, and each job of a blob manifest
/// (<see cref="Manifests.ManifestParser"/>), which may also name images in the app's own storage. Strict on
/// purpose: an unknown field is usually a typo, and a typo in a three-dollar request should be caught before the
/// money is spent.
/// </summary>
public sealed class VideoRequestParser(IOptions<JobOptions> jobOptions, IOptions<ImageOptions> imageOptions, IOptions<Callbacks.CallbackOptions> callbackOptions)
{
    // Duplicate keys are refused: which of two "prompt"s did the caller mean?
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    /// <summary>The fields of the model's input.</summary>
    public static readonly IReadOnlySet<string> ModelFields = new HashSet<string>
    {
        "prompt", "image_urls", "aspect_ratio", "duration", "resolution", "generate_audio", "seed", "negative_prompt", "auto_fix", "safety_tolerance",
    };

    /// <summary>The job's own fields besides the model's: where to report, and fal's queue priority.</summary>
    public static readonly IReadOnlySet<string> JobFields = new HashSet<string> { "callback_url", "callback_events", "priority" };

    /// <summary><c>callback_events</c>: the end only (the default), or every phase change too.</summary>
    public static readonly IReadOnlyList<string> CallbackEvents = ["end", "all"];

    /// <summary><c>priority</c>: fal's queue priority (<c>x-fal-queue-priority</c>).</summary>
    public static readonly IReadOnlyList<string> Priorities = ["normal", "low"];

    /// <summary>Options for documents this parser reads: duplicate keys refused, nesting bounded.</summary>
    internal static JsonDocumentOptions JsonOptions => DocumentOptions;

    public ParseResult Parse(ReadOnlyMemory<byte> body)
    {
        if (body.Span.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException ex)
        {
            return ParseResult.Invalid(new() { ["body"] = [$"The body is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})."] });
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return ParseResult.Invalid(new() { ["body"] = ["The body must be a JSON object."] });
            }

            try
            {
                return ParseJob(document.RootElement, ownBlob: null, otherFields: null);
            }
            catch (InvalidOperationException)
            {
                // The reader accepts invalid UTF-8 and unpaired surrogate escapes inside strings; reading them throws.
                return ParseResult.Invalid(new() { ["body"] = ["The body contains text that is not valid Unicode (invalid UTF-8 or an unpaired surrogate)."] });
            }
        }
    }

    /// <summary>
    /// Parses one job object. <paramref name="ownBlob"/> recognises an image reference that names a blob of the app's
    /// own storage (manifests only; null refuses them); <paramref name="otherFields"/> are further fields the caller
    /// handles itself (a manifest's <c>id</c>). Invalid Unicode in a string throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public ParseResult ParseJob(JsonElement root, Func<string, BlobImage?>? ownBlob, IReadOnlySet<string>? otherFields)
    {
        var errors = new Errors();
        var jobs = jobOptions.Value;
        foreach (var property in root.EnumerateObject().Where(p => !ModelFields.Contains(p.Name) && !JobFields.Contains(p.Name) && otherFields?.Contains(p.Name) != true))
        {
            errors.Add(property.Name.Length > 64 ? property.Name[..64] : property.Name, "Unknown field; the accepted fields are those of the model's input, callback_url, callback_events and priority.");
        }

        string? prompt = Text(root, "prompt", jobs.MaxPromptLength, errors, required: true);
        var request = new VideoRequest(
            prompt ?? "",
            OneOf(root, "aspect_ratio", ReferenceToVideoInput.AspectRatios, errors),
            OneOf(root, "duration", ReferenceToVideoInput.Durations, errors),
            OneOf(root, "resolution", ReferenceToVideoInput.Resolutions, errors),
            Bool(root, "generate_audio", errors),
            Integer(root, "seed", errors),
            Text(root, "negative_prompt", jobs.MaxPromptLength, errors, required: false),
            Bool(root, "auto_fix", errors),
            OneOf(root, "safety_tolerance", ReferenceToVideoInput.SafetyTolerances, errors));
        var images = Images(root, ownBlob, errors);
        var (callback, priority) = ParseJobFields(root, errors);

        return errors.Count > 0 ? ParseResult.Invalid(errors) : ParseResult.Valid(new VideoJobDraft(request, images, callback, priority));
    }

    /// <summary>Reads the job's own fields (<see cref="JobFields"/>) of an object: a job, or a batch's defaults.</summary>
    public (JobCallback? Callback, string? Priority) ParseJobFields(JsonElement root, Errors errors) =>
        (Callback(root, errors), OneOf(root, "priority", Priorities, errors));

    private JobCallback? Callback(JsonElement root, Errors errors)
    {
        string? events = OneOf(root, "callback_events", CallbackEvents, errors);
        if (!root.TryGetProperty("callback_url", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (events is not null)
            {
                errors.Add("callback_events", "Only with a callback_url.");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add("callback_url", "Must be a string: an https URL.");
            return null;
        }

        if (!callbackOptions.Value.CanSign)
        {
            errors.Add("callback_url", "This app sends no callbacks: it has no signing secret (Callbacks:SigningSecret).");
            return null;
        }

        if (!Callbacks.CallbackUrlPolicy.TryValidate(value.GetString(), imageOptions.Value, out var url, out var reason))
        {
            errors.Add("callback_url", reason);
            return null;
        }

        return new JobCallback(url, OnEveryPhase: events == "all");
    }

    private List<DraftImage> Images(JsonElement root, Func<string, BlobImage?>? ownBlob, Errors errors)
    {
        var options = imageOptions.Value;
        var images = new List<DraftImage>();
        if (!root.TryGetProperty("image_urls", out var array) || array.ValueKind == JsonValueKind.Null)
        {
            errors.Add("image_urls", ownBlob is null
                ? "Required: a list of 1 or more reference images (https URLs or data: URIs)."
                : "Required: a list of 1 or more reference images (https URLs, data: URIs or blobs of the images container).");
            return images;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            errors.Add("image_urls", "Must be a list of strings.");
            return images;
        }

        int count = array.GetArrayLength();
        if (count < options.MinImages || count > options.MaxImages)
        {
            errors.Add("image_urls", $"Give {options.MinImages} to {options.MaxImages} reference images; got {count}.");
            return images;
        }

        int index = 0;
        foreach (var item in array.EnumerateArray())
        {
            string field = $"image_urls[{index}]";
            // Read once: each GetString() copies the value, and a data: URI is the whole image in base64.
            string? text = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
            if (text is null)
            {
                errors.Add(field, "Must be a string: an https URL or a data: URI.");
            }
            else if (DataUri.IsDataUri(text))
            {
                if (!DataUri.TryParse(text, options.MaxImageBytes, out _, out var bytes, out var error))
                {
                    errors.Add(field, error);
                }
                else
                {
                    // Inspected once: the check's result is also the image's description.
                    var inspection = ImageInspector.Inspect(bytes, options);
                    if (inspection.IsAccepted)
                    {
                        images.Add(new DraftImage(index, null, bytes, inspection.Image));
                    }
                    else
                    {
                        errors.Add(field, inspection.RejectionReason);
                    }
                }
            }
            else if (ownBlob?.Invoke(text) is { } blob)
            {
                images.Add(new DraftImage(index, null, ReadOnlyMemory<byte>.Empty, null, blob)); // read and checked by the manifest door
            }
            else if (!ImageUrlPolicy.TryValidate(text, options, out var uri, out var reason))
            {
                errors.Add(field, reason);
            }
            else
            {
                images.Add(new DraftImage(index, uri, ReadOnlyMemory<byte>.Empty, null));
            }

            index++;
        }

        return images;
    }

    private static string? Text(JsonElement root, string name, int maxLength, Errors errors, bool required)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                errors.Add(name, "Required: a non-empty string.");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(name, "Must be a string.");
            return null;
        }

        string text = value.GetString()!;
        if (required && string.IsNullOrWhiteSpace(text))
        {
            errors.Add(name, "Must not be empty.");
        }
        else if (text.Length > maxLength)
        {
            errors.Add(name, $"At most {maxLength} characters; got {text.Length}.");
        }
        else if (text.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
        {
            errors.Add(name, "Must not contain control characters.");
        }
        else
        {
            return text;
        }

        return null;
    }

    private static string? OneOf(JsonElement root, string name, IReadOnlyList<string> allowed, Errors errors)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && allowed.Contains(value.GetString()!))
        {
            return value.GetString();
        }

        errors.Add(name, $"Must be one of: {string.Join(", ", allowed.Select(a => $"\"{a}\""))}.");
        return null;
    }

    private static bool? Bool(JsonElement root, string name, Errors errors)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        errors.Add(name, "Must be true or false.");
        return null;
    }

    private static long? Integer(JsonElement root, string name, Errors errors)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) && number >= 0 && number <= uint.MaxValue)
        {
            return number;
        }

        errors.Add(name, $"Must be a whole number from 0 to {uint.MaxValue}.");
        return null;
    }
}
