using System.Text.Json;

namespace Fal;

/// <summary>One item of a fal validation error (<c>detail[]</c>): where, what and which kind.</summary>
public sealed record FalValidationItem(string Location, string Message, string? Type);

/// <summary>
/// fal's error body, which comes in three shapes: the queue's model errors <c>{"detail":[{loc,msg,type}]}</c> (or a
/// plain string detail), its infrastructure errors <c>{"detail":"…","error_type":"…"}</c> with an
/// <c>X-Fal-Error-Type</c> header, and the Platform API's <c>{"error":{"type","message",…}}</c> (type becomes
/// <see cref="ErrorType"/>). Parsing is tolerant: an unreadable body still yields a message.
/// </summary>
public sealed record FalErrorDetail(string Message, string? ErrorType, IReadOnlyList<FalValidationItem> Items, bool IsUserRequestTimeout)
{
    public static readonly FalErrorDetail Empty = new("", null, [], false);

    /// <summary>fal's content-policy error type: never retry, tell the user.</summary>
    public bool IsContentPolicyViolation => ErrorType == "content_policy_violation" || Items.Any(i => i.Type == "content_policy_violation");

    /// <summary>Parses an error body; headers may name the error type and the timeout kind.</summary>
    public static FalErrorDetail Parse(string? body, string? errorTypeHeader = null, string? timeoutTypeHeader = null)
    {
        bool userTimeout = string.Equals(timeoutTypeHeader, "user", StringComparison.OrdinalIgnoreCase);
        string? errorType = string.IsNullOrWhiteSpace(errorTypeHeader) ? null : errorTypeHeader;
        if (string.IsNullOrWhiteSpace(body))
        {
            return new("", errorType, [], userTimeout);
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            return FromJson(doc.RootElement, errorType, userTimeout);
        }
        catch (JsonException)
        {
            return new(Truncate(body), errorType, [], userTimeout);
        }
    }

    /// <summary>Reads an error already parsed as JSON (a webhook's payload, a status's error).</summary>
    public static FalErrorDetail FromJson(JsonElement root, string? errorType = null, bool userTimeout = false)
    {
        try
        {
            return Read(root, errorType, userTimeout);
        }
        catch (InvalidOperationException)
        {
            // Strings with unpaired surrogate escapes parse but cannot be read: keep the raw text.
            return new(Truncate(root.GetRawText()), errorType, [], userTimeout);
        }
    }

    private static FalErrorDetail Read(JsonElement root, string? errorType, bool userTimeout)
    {
        if (root.ValueKind == JsonValueKind.String)
        {
            return new(Truncate(root.GetString() ?? ""), errorType, [], userTimeout);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return new(Truncate(root.GetRawText()), errorType, [], userTimeout);
        }

        errorType ??= StringOf(root, "error_type");

        var items = new List<FalValidationItem>();
        string message = "";
        if (root.TryGetProperty("detail", out var detail))
        {
            if (detail.ValueKind == JsonValueKind.String)
            {
                message = detail.GetString() ?? "";
            }
            else if (detail.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in detail.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object))
                {
                    items.Add(new FalValidationItem(
                        Location(item),
                        StringOf(item, "msg") ?? "",
                        StringOf(item, "type")));
                }

                message = string.Join("; ", items.Select(i => i.Location.Length > 0 ? $"{i.Location}: {i.Message}" : i.Message));
            }
        }
        else if (StringOf(root, "error") is { } plain)
        {
            message = plain;
        }
        else if (root.TryGetProperty("error", out var platform) && platform.ValueKind == JsonValueKind.Object)
        {
            // The Platform API (api.fal.ai/v1): {"error":{"type":"rate_limited","message":"…","docs_url":…,"request_id":…}}.
            message = StringOf(platform, "message") ?? "";
            errorType ??= StringOf(platform, "type");
        }
        else if (StringOf(root, "message") is { } m)
        {
            message = m;
        }
        else if (StringOf(root, "status") is { } status)
        {
            // Cancel answers {"status":"ALREADY_COMPLETED"} and similar.
            message = status;
        }

        return new(Truncate(message), errorType, items, userTimeout);
    }

    /// <summary>One sentence for a person: what fal said, with the HTTP status and error type.</summary>
    public string Describe(int httpStatus)
    {
        // Model errors name their kind per item (content_policy_violation…); infrastructure errors at the top.
        string? type = ErrorType ?? Items.Select(i => i.Type).FirstOrDefault(t => t is not null);
        string kind = type is null ? "" : $" ({type})";
        string what = Message.Length > 0 ? Message.TrimEnd('.') : "no detail given";
        return httpStatus > 0 ? $"fal answered {httpStatus}{kind}: {what}." : $"fal reported an error{kind}: {what}.";
    }

    private static string? StringOf(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // "loc" is a path like ["body","image_urls",0]; the first element names the request part.
    private static string Location(JsonElement item)
    {
        if (!item.TryGetProperty("loc", out var loc) || loc.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var parts = loc.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.Number ? $"[{p.GetRawText()}]" : p.ToString()).ToList();
        if (parts.Count > 1 && parts[0] == "body")
        {
            parts.RemoveAt(0);
        }

        return string.Join(".", parts).Replace(".[", "[", StringComparison.Ordinal);
    }

    // A hostile or broken upstream must not make our messages unbounded.
    private static string Truncate(string s) => s.Length <= 500 ? s : string.Concat(s.AsSpan(0, 500), "…");
}
