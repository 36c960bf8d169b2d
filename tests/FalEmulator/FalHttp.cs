using System.Globalization;
using System.Text.Json.Nodes;

namespace FalEmulator;

/// <summary>Shared HTTP helpers: origin, JSON answers, fal auth and per-call fault injection.</summary>
internal static class FalHttp
{
    public static string Origin(HttpContext context, EmulatorState state) =>
        state.Options.PublicBaseUrl?.TrimEnd('/') ?? $"{context.Request.Scheme}://{context.Request.Host}";

    public static async Task WriteJsonAsync(HttpContext context, int status, JsonNode? body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body?.ToJsonString() ?? "null", context.RequestAborted).ConfigureAwait(false);
    }

    public static Task DetailAsync(HttpContext context, int status, string detail, string? errorType = null)
    {
        var body = new JsonObject { ["detail"] = detail };
        if (errorType is not null)
        {
            body["error_type"] = errorType;
            context.Response.Headers["X-Fal-Error-Type"] = errorType;
        }

        return WriteJsonAsync(context, status, body);
    }

    /// <summary>Checks <c>Authorization: Key …</c>; answers 401 and returns false when missing or wrong.</summary>
    public static async Task<bool> AuthorizeAsync(HttpContext context, EmulatorState state)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Key ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || string.IsNullOrWhiteSpace(header[scheme.Length..]))
        {
            await DetailAsync(context, 401, "Missing or invalid authorization header. Expected 'Authorization: Key <FAL_KEY>'.").ConfigureAwait(false);
            return false;
        }

        var expected = state.Options.ExpectedKey;
        if (expected is not null && !string.Equals(header[scheme.Length..].Trim(), expected, StringComparison.Ordinal))
        {
            await DetailAsync(context, 401, "No user found for Key ID and Secret").ConfigureAwait(false);
            return false;
        }

        return true;
    }

    /// <summary>Applies a matching per-call fault (HttpError / Abort); returns true when the call was answered by it.</summary>
    public static async Task<bool> InjectCallFaultAsync(HttpContext context, EmulatorState state, RequestKind kind, FalRequest? request)
    {
        var fault = state.FaultBook.Take(Stage.Call, kind, request?.Id, request?.Prompt);
        if (fault is null)
        {
            return false;
        }

        if (fault.Kind == FaultKind.Abort)
        {
            context.Abort();
            return true;
        }

        var status = fault.StatusCode ?? 503;
        if (status == 429)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        await DetailAsync(context, status, fault.Message ?? DefaultMessage(status), fault.ErrorType ?? DefaultErrorType(status)).ConfigureAwait(false);
        return true;
    }

    public static string DefaultMessage(int status) => status switch
    {
        429 => "Too many requests. Please retry later (emulated).",
        500 => "Internal server error (emulated).",
        502 => "Bad gateway (emulated).",
        503 => "Service temporarily unavailable (emulated).",
        504 => "Gateway timeout (emulated).",
        _ => string.Create(CultureInfo.InvariantCulture, $"Emulated error {status}."),
    };

    public static string? DefaultErrorType(int status) => status switch
    {
        500 => "internal_error",
        502 => "runner_connection_error",
        503 => "runner_unavailable",
        504 => "startup_timeout",
        _ => null,
    };
}
