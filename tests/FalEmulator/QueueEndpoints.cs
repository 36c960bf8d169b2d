using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FalEmulator;

/// <summary>fal queue routes: submit, status, status stream, result, cancel.</summary>
internal static class QueueEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/{owner}/{alias}/{**path}", SubmitAsync);
        app.MapGet("/{owner}/{alias}/requests/{requestId}/status", StatusAsync);
        app.MapGet("/{owner}/{alias}/requests/{requestId}/status/stream", StatusStreamAsync);
        app.MapGet("/{owner}/{alias}/requests/{requestId}", ResultAsync);
        app.MapPut("/{owner}/{alias}/requests/{requestId}/cancel", CancelAsync);
    }

    private static async Task SubmitAsync(HttpContext context, string owner, string alias, string? path, EmulatorState state, QueueSimulator simulator)
    {
        state.Count(RequestKind.Submit);
        if (!await FalHttp.AuthorizeAsync(context, state).ConfigureAwait(false))
        {
            return;
        }

        var endpointId = string.IsNullOrEmpty(path) ? $"{owner}/{alias}" : $"{owner}/{alias}/{path.TrimEnd('/')}";
        if (!string.Equals(endpointId, VeoInputSchema.EndpointId, StringComparison.Ordinal))
        {
            await FalHttp.DetailAsync(context, 404, $"Application '{endpointId}' not found").ConfigureAwait(false);
            return;
        }

        JsonObject? input;
        string inputJson;
        try
        {
            using var reader = new StreamReader(context.Request.Body);
            inputJson = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
            input = JsonNode.Parse(inputJson) as JsonObject;
        }
        catch (JsonException ex)
        {
            var detail = new JsonArray(VeoInputSchema.Error(new JsonArray("body"), "JSON decode error: " + ex.Message, "json_invalid", null));
            await FalHttp.WriteJsonAsync(context, 422, new JsonObject { ["detail"] = detail }).ConfigureAwait(false);
            return;
        }

        if (input is null)
        {
            var detail = new JsonArray(VeoInputSchema.Error(new JsonArray("body"), "Input should be a valid dictionary", "dict_type", null));
            await FalHttp.WriteJsonAsync(context, 422, new JsonObject { ["detail"] = detail }).ConfigureAwait(false);
            return;
        }

        var prompt = input["prompt"] is JsonValue p && p.GetValueKind() == JsonValueKind.String ? p.GetValue<string>() : null;
        string? webhook = context.Request.Query["fal_webhook"];
        if (webhook is not null && (!Uri.TryCreate(webhook, UriKind.Absolute, out var hook) || (hook.Scheme != Uri.UriSchemeHttp && hook.Scheme != Uri.UriSchemeHttps)))
        {
            await FalHttp.DetailAsync(context, 400, "Invalid webhook URL: " + webhook, "bad_request").ConfigureAwait(false);
            return;
        }

        if (!ObjectLifecycle.TryRead(context.Request.Headers, out var lifecycle))
        {
            await FalHttp.DetailAsync(context, 400, "Invalid x-fal-object-lifecycle-preference header.", "bad_request").ConfigureAwait(false);
            return;
        }

        // Submit faults that fal answers WITHOUT accepting the request.
        var fault = state.FaultBook.Take(Stage.Submit, RequestKind.Submit, null, prompt);
        switch (fault?.Kind)
        {
            case FaultKind.Abort:
                context.Abort();
                return;
            case FaultKind.Stall:
                await FalHttp.HoldAsync(context, state).ConfigureAwait(false);
                return;
            case FaultKind.HttpError:
                var status = fault.StatusCode ?? 503;
                if (fault.IncludeRequestIdHeader)
                {
                    context.Response.Headers["x-fal-request-id"] = Guid.NewGuid().ToString(); // an id fal never created
                }

                if (status == 429)
                {
                    context.Response.Headers.RetryAfter = "1";
                }

                await FalHttp.DetailAsync(context, status, fault.Message ?? FalHttp.DefaultMessage(status), fault.ErrorType ?? FalHttp.DefaultErrorType(status)).ConfigureAwait(false);
                return;
            case FaultKind.SubmitValidationError:
                var field = fault.Field ?? "prompt";
                var error = VeoInputSchema.Error(new JsonArray("body", field), fault.Message ?? $"Invalid value for {field} (emulated).", fault.ErrorType ?? "value_error", input[field]);
                await FalHttp.WriteJsonAsync(context, 422, new JsonObject { ["detail"] = new JsonArray(error) }).ConfigureAwait(false);
                return;
        }

        if (state.Options.ValidateInputAtSubmit)
        {
            var errors = VeoInputSchema.Validate(input);
            if (errors.Count > 0)
            {
                await FalHttp.WriteJsonAsync(context, 422, new JsonObject { ["detail"] = errors }).ConfigureAwait(false);
                return;
            }
        }

        var now = state.Options.TimeProvider.GetUtcNow();
        DateTimeOffset? deadline = null;
        if (double.TryParse(context.Request.Headers["x-fal-request-timeout"].ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            deadline = now + TimeSpan.FromSeconds(seconds);
        }

        var id = Guid.NewGuid().ToString();
        var webhookFault = state.FaultBook.Take(Stage.Webhook, null, id, prompt);
        var request = new FalRequest
        {
            Id = id,
            Sequence = state.NextSequence(),
            EndpointId = endpointId,
            Owner = owner,
            Alias = alias,
            Origin = FalHttp.Origin(context, state),
            Input = input,
            InputJson = inputJson,
            Prompt = prompt,
            WebhookUrl = webhook,
            LowPriority = string.Equals(context.Request.Headers["x-fal-queue-priority"].ToString(), "low", StringComparison.OrdinalIgnoreCase),
            SubmittedAt = now,
            StartDeadline = deadline,
            GenerationFault = state.FaultBook.Take(Stage.Generation, null, id, prompt),
            HeldUntil = state.NextRelease,
            WebhookFault = webhookFault,
            GatewayRequestId = webhookFault?.Kind == FaultKind.GatewayRetry ? Guid.NewGuid().ToString() : id,
            OutputLifecycle = lifecycle,
            SubmitAnswerFault = fault?.Kind.ToString(),
        };
        state.Add(request);
        state.CountFor(id, RequestKind.Submit);
        simulator.Start(request);

        switch (fault?.Kind)
        {
            case FaultKind.SubmitAcceptedThenAbort:
                context.Abort();
                return;
            case FaultKind.SubmitAcceptedThenHttpError:
                var status = fault.StatusCode ?? 502;
                if (fault.IncludeRequestIdHeader)
                {
                    context.Response.Headers["x-fal-request-id"] = id;
                }

                await FalHttp.DetailAsync(context, status, fault.Message ?? FalHttp.DefaultMessage(status), fault.ErrorType ?? FalHttp.DefaultErrorType(status)).ConfigureAwait(false);
                return;
        }

        context.Response.Headers["x-fal-request-id"] = id;
        var body = new JsonObject { ["status"] = FalStatus.InQueue };
        foreach (var (key, value) in Urls(request))
        {
            body[key] = value?.DeepClone();
        }

        body["queue_position"] = state.QueuePosition(request);
        body["gateway_request_id"] = id;
        await FalHttp.WriteJsonAsync(context, 200, body).ConfigureAwait(false);
    }

    private static async Task<FalRequest?> LookupAsync(HttpContext context, EmulatorState state, RequestKind kind, string owner, string alias, string requestId)
    {
        state.Count(kind);
        var request = state.Find(requestId);
        if (request is not null)
        {
            state.CountFor(requestId, kind);
        }

        if (!await FalHttp.AuthorizeAsync(context, state).ConfigureAwait(false)
            || await FalHttp.InjectCallFaultAsync(context, state, kind, request).ConfigureAwait(false))
        {
            return null;
        }

        if (request is null || request.Owner != owner || request.Alias != alias)
        {
            if (kind == RequestKind.Cancel)
            {
                await FalHttp.WriteJsonAsync(context, 404, new JsonObject { ["status"] = "NOT_FOUND" }).ConfigureAwait(false);
            }
            else
            {
                await FalHttp.DetailAsync(context, 404, $"Request '{requestId}' not found").ConfigureAwait(false);
            }

            return null;
        }

        return request;
    }

    private static async Task StatusAsync(HttpContext context, string owner, string alias, string requestId, EmulatorState state)
    {
        var request = await LookupAsync(context, state, RequestKind.Status, owner, alias, requestId).ConfigureAwait(false);
        if (request is null)
        {
            return;
        }

        context.Response.Headers["x-fal-request-id"] = request.Id;
        var body = StatusBody(request, state, WantsLogs(context));
        // The code follows the status the body says: the request may complete between the two reads.
        await FalHttp.WriteJsonAsync(context, (string?)body["status"] == FalStatus.Completed ? 200 : 202, body).ConfigureAwait(false);
    }

    /// <summary>SSE: one <c>data: {status}</c> event per change, ending after COMPLETED.</summary>
    private static async Task StatusStreamAsync(HttpContext context, string owner, string alias, string requestId, EmulatorState state)
    {
        var request = await LookupAsync(context, state, RequestKind.StatusStream, owner, alias, requestId).ConfigureAwait(false);
        if (request is null)
        {
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var logs = WantsLogs(context);
        string? last = null;
        var ct = context.RequestAborted;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var completed = request.Status == FalStatus.Completed;
                var json = StatusBody(request, state, logs).ToJsonString();
                if (json != last)
                {
                    await context.Response.WriteAsync($"data: {json}\n\n", ct).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                    last = json;
                }

                if (completed)
                {
                    return;
                }

                await Task.Delay(50, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // client went away
        }
    }

    private static async Task ResultAsync(HttpContext context, string owner, string alias, string requestId, EmulatorState state)
    {
        var request = await LookupAsync(context, state, RequestKind.Result, owner, alias, requestId).ConfigureAwait(false);
        if (request is null)
        {
            return;
        }

        context.Response.Headers["x-fal-request-id"] = request.Id;
        if (request.Status != FalStatus.Completed)
        {
            await FalHttp.DetailAsync(context, 400, "Request is still in progress").ConfigureAwait(false);
            return;
        }

        if (request.PayloadsDeletedAt is not null)
        {
            await FalHttp.DetailAsync(context, 404, $"Request '{request.Id}' not found").ConfigureAwait(false);
            return;
        }

        if (request.Error is { } error)
        {
            if (error.ErrorType is not null)
            {
                context.Response.Headers["X-Fal-Error-Type"] = error.ErrorType;
            }

            if (error.ErrorType == "request_timeout")
            {
                context.Response.Headers["x-fal-request-timeout-type"] = "user";
            }

            if (error.HttpStatus == 422)
            {
                context.Response.Headers["X-Fal-Retryable"] = "false";
            }

            await FalHttp.WriteJsonAsync(context, error.HttpStatus, error.Body).ConfigureAwait(false);
            return;
        }

        await FalHttp.WriteJsonAsync(context, 200, request.Output).ConfigureAwait(false);
    }

    private static async Task CancelAsync(HttpContext context, string owner, string alias, string requestId, EmulatorState state)
    {
        var request = await LookupAsync(context, state, RequestKind.Cancel, owner, alias, requestId).ConfigureAwait(false);
        if (request is null)
        {
            return;
        }

        if (request.RequestCancel(state.Options.CancelInProgress, state.Now()))
        {
            await FalHttp.WriteJsonAsync(context, 202, new JsonObject { ["status"] = "CANCELLATION_REQUESTED" }).ConfigureAwait(false);
        }
        else
        {
            await FalHttp.WriteJsonAsync(context, 400, new JsonObject { ["status"] = "ALREADY_COMPLETED" }).ConfigureAwait(false);
        }
    }

    private static bool WantsLogs(HttpContext context) =>
        context.Request.Query["logs"].ToString() is "1" or "true" or "True";

    private static JsonObject Urls(FalRequest request) => new()
    {
        ["request_id"] = request.Id,
        ["response_url"] = request.BaseUrl,
        ["status_url"] = request.BaseUrl + "/status",
        ["cancel_url"] = request.BaseUrl + "/cancel",
    };

    internal static JsonObject StatusBody(FalRequest request, EmulatorState state, bool logs)
    {
        var body = new JsonObject { ["status"] = request.Status };
        foreach (var (key, value) in Urls(request))
        {
            body[key] = value?.DeepClone();
        }

        if (request.Status == FalStatus.InQueue)
        {
            body["queue_position"] = state.QueuePosition(request);
        }

        body["logs"] = logs
            ? new JsonArray(request.Logs.Select(l => (JsonNode)new JsonObject
            {
                ["message"] = l.Message,
                ["level"] = l.Level,
                ["source"] = l.Source,
                ["timestamp"] = l.Timestamp.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            }).ToArray())
            : null;

        if (request.Status == FalStatus.Completed)
        {
            var metrics = new JsonObject();
            if (request.StartedAt is { } started && request.CompletedAt is { } completed)
            {
                metrics["inference_time"] = Math.Round((completed - started).TotalSeconds, 3);
            }

            body["metrics"] = metrics;
            if (request.Error is { ShowOnStatus: true } error)
            {
                body["error"] = error.Message;
                body["error_type"] = error.ErrorType;
            }
        }

        return body;
    }
}
