using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace FalEmulator;

/// <summary>
/// Control API under <c>/_emulator</c> (no auth, snake_case JSON, enums as snake_case strings), mirroring <see cref="EmulatorState"/>.
/// </summary>
internal static class ControlEndpoints
{
    public const string Prefix = "/_emulator";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix);
        group.MapPost("/reset", (EmulatorState s) =>
        {
            s.Reset();
            return Results.Json(new { status = "reset" }, Json);
        });
        group.MapGet("/counters", (EmulatorState s) => Results.Json(
            new
            {
                by_kind = s.Counts.ToDictionary(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Key.ToString()), p => p.Value),
                by_request = s.CountsByRequest.ToDictionary(
                    r => r.Key,
                    r => r.Value.ToDictionary(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Key.ToString()), p => p.Value)),
            }, Json));
        group.MapGet("/requests", (EmulatorState s) => Results.Json(s.Submissions, Json));
        group.MapGet("/requests/{requestId}", (string requestId, EmulatorState s) =>
            s.GetSubmission(requestId) is { } info ? Results.Json(info, Json) : Results.Json(new { detail = "not found" }, Json, statusCode: 404));
        group.MapGet("/webhooks", (EmulatorState s) => Results.Json(s.WebhookDeliveries, Json));
        group.MapGet("/files", (EmulatorState s) => Results.Json(s.StoredFiles, Json));
        group.MapGet("/files/{fileId}", (string fileId, EmulatorState s) =>
            s.GetFile(fileId) is { } info ? Results.Json(info, Json) : Results.Json(new { detail = "not found" }, Json, statusCode: 404));

        group.MapPost("/requests/{requestId}/webhook", async (string requestId, EmulatorState s, WebhookDeliverer webhooks, CancellationToken ct) =>
            s.Find(requestId) is { } request && await webhooks.ResendAsync(request, ct) is { } sent
                ? Results.Json(sent, Json)
                : Results.NotFound());
        group.MapPost("/release", (EmulatorState s) =>
        {
            s.ReleaseHeld();
            return Results.NoContent();
        });
        group.MapGet("/faults", (EmulatorState s) => Results.Json(s.Faults, Json));
        group.MapPost("/faults", async (HttpContext c, EmulatorState s) =>
        {
            var rule = await JsonSerializer.DeserializeAsync<FaultRule>(c.Request.Body, Json, c.RequestAborted).ConfigureAwait(false);
            if (rule is null)
            {
                return Results.Json(new { detail = "fault rule required" }, Json, statusCode: 400);
            }

            return Results.Json(new { id = s.AddFault(rule) }, Json);
        });
        group.MapDelete("/faults", (EmulatorState s) =>
        {
            s.ClearFaults();
            return Results.NoContent();
        });
        group.MapDelete("/faults/{id}", (string id, EmulatorState s) => s.RemoveFault(id) ? Results.NoContent() : Results.NotFound());

        group.MapGet("/keys", (EmulatorState s) => Results.Json(new { keys = s.SigningKeyIds, signing = s.SigningKeyIds[^1] }, Json));
        group.MapPost("/keys/rotate", ([Microsoft.AspNetCore.Mvc.FromQuery(Name = "retire_old")] bool? retireOld, EmulatorState s) =>
        {
            var kid = s.RotateSigningKey(retireOld ?? false);
            return Results.Json(new { kid, keys = s.SigningKeyIds }, Json);
        });
        group.MapDelete("/keys/{kid}", (string kid, EmulatorState s) => s.RetireSigningKey(kid) ? Results.NoContent() : Results.NotFound());

        group.MapGet("/config", (EmulatorState s) => Results.Json(ConfigOf(s.Options), Json));
        group.MapPost("/config", async (HttpContext c, EmulatorState s) =>
        {
            var patch = await JsonNode.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted).ConfigureAwait(false) as JsonObject;
            if (patch is null)
            {
                return Results.Json(new { detail = "JSON object required" }, Json, statusCode: 400);
            }

            var unknown = patch.Select(p => p.Key).FirstOrDefault(k => !ConfigOf(s.Options).ContainsKey(k));
            if (unknown is not null)
            {
                return Results.Json(new { detail = $"Unknown setting '{unknown}'." }, Json, statusCode: 400);
            }

            try
            {
                Apply(s.Options, patch);
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException)
            {
                return Results.Json(new { detail = "Invalid setting value: " + ex.Message }, Json, statusCode: 400);
            }

            return Results.Json(ConfigOf(s.Options), Json);
        });
    }

    private static JsonObject ConfigOf(EmulatorOptions o) => new()
    {
        ["queue_time_ms"] = o.QueueTime.TotalMilliseconds,
        ["generation_time_ms"] = o.GenerationTime.TotalMilliseconds,
        ["max_concurrent_requests"] = o.MaxConcurrentRequests,
        ["progress_log_lines"] = o.ProgressLogLines,
        ["validate_input_at_submit"] = o.ValidateInputAtSubmit,
        ["download_images"] = o.DownloadImages,
        ["max_image_bytes"] = o.MaxImageBytes,
        ["video_padding_bytes"] = o.VideoPaddingBytes,
        ["expected_key"] = o.ExpectedKey,
        ["public_base_url"] = o.PublicBaseUrl,
        ["webhook_user_id"] = o.WebhookUserId,
        ["webhook_max_attempts"] = o.WebhookMaxAttempts,
        ["webhook_retry_base_delay_ms"] = o.WebhookRetryBaseDelay.TotalMilliseconds,
        ["webhook_retry_max_delay_ms"] = o.WebhookRetryMaxDelay.TotalMilliseconds,
        ["webhook_attempt_timeout_ms"] = o.WebhookAttemptTimeout.TotalMilliseconds,
        ["cancel_in_progress"] = EnumName(o.CancelInProgress),
        ["platform_listing"] = EnumName(o.PlatformListing),
        ["unit_price"] = o.UnitPrice,
        ["billing_delay_ms"] = o.BillingDelay.TotalMilliseconds,
        ["admin_key"] = o.AdminKey,
    };

    private static string EnumName<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    private static T ParseEnum<T>(JsonNode value)
        where T : struct, Enum =>
        Enum.TryParse<T>(value.GetValue<string>().Replace("_", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var parsed)
            ? parsed
            : throw new FormatException($"'{value}' is not one of {string.Join(", ", Enum.GetValues<T>().Select(EnumName))}.");

    private static void Apply(EmulatorOptions o, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            switch (key)
            {
                case "queue_time_ms": o.QueueTime = TimeSpan.FromMilliseconds(Required(value).GetValue<double>()); break;
                case "generation_time_ms": o.GenerationTime = TimeSpan.FromMilliseconds(Required(value).GetValue<double>()); break;
                case "max_concurrent_requests": o.MaxConcurrentRequests = Required(value).GetValue<int>(); break;
                case "progress_log_lines": o.ProgressLogLines = Required(value).GetValue<int>(); break;
                case "validate_input_at_submit": o.ValidateInputAtSubmit = Required(value).GetValue<bool>(); break;
                case "download_images": o.DownloadImages = Required(value).GetValue<bool>(); break;
                case "max_image_bytes": o.MaxImageBytes = Required(value).GetValue<long>(); break;
                case "video_padding_bytes": o.VideoPaddingBytes = Required(value).GetValue<long>(); break;
                case "expected_key": o.ExpectedKey = value?.GetValue<string>(); break;
                case "public_base_url": o.PublicBaseUrl = value?.GetValue<string>(); break;
                case "webhook_user_id": o.WebhookUserId = Required(value).GetValue<string>(); break;
                case "webhook_max_attempts": o.WebhookMaxAttempts = Required(value).GetValue<int>(); break;
                case "webhook_retry_base_delay_ms": o.WebhookRetryBaseDelay = TimeSpan.FromMilliseconds(Required(value).GetValue<double>()); break;
                case "webhook_retry_max_delay_ms": o.WebhookRetryMaxDelay = TimeSpan.FromMilliseconds(Required(value).GetValue<double>()); break;
                case "webhook_attempt_timeout_ms": o.WebhookAttemptTimeout = TimeSpan.FromMilliseconds(Required(value).GetValue<double>()); break;
                case "cancel_in_progress": o.CancelInProgress = ParseEnum<CancelInProgressMode>(Required(value)); break;
                case "platform_listing": o.PlatformListing = ParseEnum<PlatformListingMode>(Required(value)); break;
                case "unit_price": o.UnitPrice = Required(value).GetValue<decimal>(); break;
                case "billing_delay_ms": o.BillingDelay = TimeSpan.FromMilliseconds(Required(value).GetValue<double>()); break;
                case "admin_key": o.AdminKey = value?.GetValue<string>(); break;
                default: break;
            }
        }
    }

    private static JsonNode Required(JsonNode? value) => value ?? throw new FormatException("null is not allowed here.");
}
