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
        switch (Check(context, state, admin: false))
        {
            case KeyCheck.Missing:
                await DetailAsync(context, 401, MissingKey).ConfigureAwait(false);
                return false;
            case KeyCheck.Unknown:
                await DetailAsync(context, 401, UnknownKey).ConfigureAwait(false);
                return false;
            default:
                return true;
        }
    }

    /// <summary>The Platform API's key check (Platform error shape); <paramref name="admin"/> = the call needs ADMIN scope (<see cref="EmulatorOptions.AdminKey"/>).</summary>
    public static async Task<bool> AuthorizePlatformAsync(HttpContext context, EmulatorState state, bool admin)
    {
        switch (Check(context, state, admin))
        {
            case KeyCheck.Missing:
                await PlatformErrorAsync(context, 401, MissingKey).ConfigureAwait(false);
                return false;
            case KeyCheck.Unknown:
                await PlatformErrorAsync(context, 401, UnknownKey).ConfigureAwait(false);
                return false;
            case KeyCheck.NotAdmin:
                await PlatformErrorAsync(context, 403, "This operation requires an ADMIN-scoped key.").ConfigureAwait(false);
                return false;
            default:
                return true;
        }
    }

    /// <summary>Platform API error: <c>{"error":{"type","message"}}</c>, type by status unless given.</summary>
    public static Task PlatformErrorAsync(HttpContext context, int status, string message, string? type = null) =>
        WriteJsonAsync(context, status, PlatformError(status, message, type));

    public static JsonObject PlatformError(int status, string message, string? type = null) =>
        new() { ["error"] = new JsonObject { ["type"] = type ?? PlatformErrorType(status), ["message"] = message } };

    private const string MissingKey = "Missing or invalid authorization header. Expected 'Authorization: Key <FAL_KEY>'.";
    private const string UnknownKey = "No user found for Key ID and Secret";

    private enum KeyCheck
    {
        Ok,
        Missing,
        Unknown,
        NotAdmin,
    }

    /// <summary>An ADMIN key works everywhere; the others are <see cref="EmulatorOptions.ExpectedKey"/> (null = any) and do not reach admin calls once an admin key is set.</summary>
    private static KeyCheck Check(HttpContext context, EmulatorState state, bool admin)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Key ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || string.IsNullOrWhiteSpace(header[scheme.Length..]))
        {
            return KeyCheck.Missing;
        }

        var key = header[scheme.Length..].Trim();
        var adminKey = state.Options.AdminKey;
        if (adminKey is not null && string.Equals(key, adminKey, StringComparison.Ordinal))
        {
            return KeyCheck.Ok;
        }

        var expected = state.Options.ExpectedKey;
        if (expected is not null && !string.Equals(key, expected, StringComparison.Ordinal))
        {
            return admin && adminKey is not null ? KeyCheck.NotAdmin : KeyCheck.Unknown;
        }

        return admin && adminKey is not null ? KeyCheck.NotAdmin : KeyCheck.Ok;
    }

    /// <summary>Applies a matching per-call fault; returns true when the call was answered (or is held) by it.</summary>
    public static async Task<bool> InjectCallFaultAsync(HttpContext context, EmulatorState state, RequestKind kind, FalRequest? request)
    {
        var fault = state.FaultBook.Take(Stage.Call, kind, request?.Id, request?.Prompt);
        if (fault is null)
        {
            return false;
        }

        await AnswerFaultAsync(context, state, fault, kind).ConfigureAwait(false);
        return true;
    }

    /// <summary>Answers a call by an HttpError / Abort / Stall rule (Platform kinds in the Platform error shape).</summary>
    public static async Task AnswerFaultAsync(HttpContext context, EmulatorState state, FaultRule fault, RequestKind kind)
    {
        switch (fault.Kind)
        {
            case FaultKind.Abort:
                context.Abort();
                return;
            case FaultKind.Stall:
                await HoldAsync(context, state).ConfigureAwait(false);
                return;
        }

        var status = fault.StatusCode ?? 503;
        if (status == 429)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        if (IsPlatform(kind))
        {
            await PlatformErrorAsync(context, status, fault.Message ?? DefaultMessage(status), fault.ErrorType).ConfigureAwait(false);
            return;
        }

        await DetailAsync(context, status, fault.Message ?? DefaultMessage(status), fault.ErrorType ?? DefaultErrorType(status)).ConfigureAwait(false);
    }

    /// <summary>Holds the call open without a further byte until the client goes away or the emulator stops or resets; then drops the connection.</summary>
    public static async Task HoldAsync(HttpContext context, EmulatorState state)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, state.Generation);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            context.Abort();
        }
    }

    public static bool IsPlatform(RequestKind kind) =>
        kind is RequestKind.PlatformRequests or RequestKind.Pricing or RequestKind.BillingEvents or RequestKind.DeletePayloads;

    private static string PlatformErrorType(int status) => status switch
    {
        400 or 422 => "validation_error",
        401 or 403 => "authorization_error",
        404 => "not_found",
        429 => "rate_limited",
        501 => "not_implemented",
        _ => "server_error",
    };

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
