using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace FalEmulator;

/// <summary>Runs an accepted request through IN_QUEUE → IN_PROGRESS → COMPLETED and triggers its webhook.</summary>
internal sealed class QueueSimulator(EmulatorState state, ImageFetcher images, WebhookDeliverer webhooks, ILogger<QueueSimulator> logger)
{
    private readonly RunnerPool _pool = new();

    private EmulatorOptions Options => state.Options;

    private DateTimeOffset Now => Options.TimeProvider.GetUtcNow();

    public void Start(FalRequest request) => _ = Task.Run(() => RunAsync(request));

    private async Task RunAsync(FalRequest request)
    {
        var shutdown = state.Generation;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(request.Cancellation.Token, shutdown);
        var ct = linked.Token;
        var slot = false;
        try
        {
            if (!await WaitToStartAsync(request, ct).ConfigureAwait(false))
            {
                request.Fail(FalError.Infrastructure(504, "request_timeout", "Request timed out before it could start (x-fal-request-timeout)."), Now);
            }
            else
            {
                slot = true;
                await GenerateAsync(request, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            return; // reset or shutdown: silently drop
        }
        catch (OperationCanceledException) when (request.StopRequested)
        {
            request.Log("Request cancelled by the client.", Now, "WARNING");
            request.Fail(FalError.Infrastructure(499, "client_cancelled", "Request cancelled by the client."), Now);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Simulation of {RequestId} failed", request.Id);
            request.Fail(FalError.Infrastructure(500, "internal_error", "Internal error: " + ex.Message), Now);
        }
        finally
        {
            if (slot)
            {
                _pool.Release(Options.MaxConcurrentRequests);
            }
        }

        if (!shutdown.IsCancellationRequested)
        {
            await webhooks.DeliverAsync(request, shutdown).ConfigureAwait(false);
        }
    }

    /// <summary>Waits the queue time and for a free runner; false when the start deadline passed first.</summary>
    private async Task<bool> WaitToStartAsync(FalRequest request, CancellationToken ct)
    {
        var time = Options.TimeProvider;
        using var deadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        if (request.StartDeadline is { } at)
        {
            deadline.CancelAfter(at - Now < TimeSpan.Zero ? TimeSpan.Zero : at - Now);
        }

        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            if (Options.QueueTime > TimeSpan.Zero)
            {
                await Task.Delay(Options.QueueTime, time, both.Token).ConfigureAwait(false);
            }

            await _pool.AcquireAsync(request, Options.MaxConcurrentRequests, both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return false;
        }

        if (!request.Start(Now))
        {
            // Only a cancel while queued refuses the start (its token may not be cancelled yet).
            _pool.Release(Options.MaxConcurrentRequests);
            throw new OperationCanceledException(ct);
        }

        return true;
    }

    private async Task GenerateAsync(FalRequest request, CancellationToken ct)
    {
        var time = Options.TimeProvider;
        var started = Now;
        request.Log("Request started on an emulated runner.", started);
        if (request.GenerationFault?.Kind == FaultKind.Stuck)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, time, ct).ConfigureAwait(false);
        }

        if (request.GenerationFault?.Kind == FaultKind.Held)
        {
            await request.HeldUntil!.WaitAsync(ct).ConfigureAwait(false);
        }

        if (!Options.ValidateInputAtSubmit)
        {
            var invalid = VeoInputSchema.Validate(request.Input);
            if (invalid.Count > 0)
            {
                request.Fail(FalError.Model(invalid, "Input validation failed."), Now);
                return;
            }
        }

        if (Options.DownloadImages)
        {
            var count = (request.Input["image_urls"] as JsonArray)?.Count ?? 0;
            request.Log($"Downloading {count} reference image(s).", Now);
            var failed = await images.FetchAllAsync(request, Options.MaxImageBytes, ct).ConfigureAwait(false);
            if (failed.Count > 0)
            {
                request.Fail(FalError.Model(failed, "Failed to download the reference images."), Now);
                return;
            }
        }

        var steps = Math.Max(1, Options.ProgressLogLines);
        var step = Options.GenerationTime / steps;
        for (var i = 1; i <= steps; i++)
        {
            if (step > TimeSpan.Zero)
            {
                await Task.Delay(step, time, ct).ConfigureAwait(false);
            }

            request.Log(string.Create(CultureInfo.InvariantCulture, $"Generating video: {100 * i / steps}%"), Now);
        }

        ct.ThrowIfCancellationRequested();
        switch (request.GenerationFault?.Kind)
        {
            case FaultKind.GenerationError:
                var type = request.GenerationFault.ErrorType ?? "content_policy_violation";
                var message = request.GenerationFault.Message
                    ?? "The content could not be processed because it contained material flagged by a content checker.";
                request.Log(message, Now, "ERROR");
                request.Fail(FalError.Model(new JsonArray(VeoInputSchema.Error(new JsonArray("body", "prompt"), message, type, null)), message), Now);
                return;
            case FaultKind.RunnerDisconnected:
                request.Log("Runner disconnected.", Now, "ERROR");
                request.Fail(FalError.Infrastructure(503, "runner_disconnected", request.GenerationFault.Message ?? "Runner disconnected unexpectedly."), Now);
                return;
        }

        var file = state.Files.AddVideo(Options.VideoPaddingBytes, request.OutputLifecycle);
        var output = new JsonObject
        {
            ["video"] = new JsonObject
            {
                ["url"] = $"{request.Origin}/files/{file.Id}/{file.FileName}",
                ["content_type"] = file.ContentType,
                ["file_name"] = file.FileName,
                ["file_size"] = file.Length,
            },
        };
        request.Log("Video generated.", Now);
        request.Succeed(output, file.Id, Now);
    }

    /// <summary>Bounded pool of runners; waiting requests start normal priority first, then by submit order.</summary>
    private sealed class RunnerPool
    {
        private readonly Lock _gate = new();
        private readonly List<(FalRequest Request, TaskCompletionSource Ready)> _waiting = [];
        private int _running;

        public async Task AcquireAsync(FalRequest request, int max, CancellationToken ct)
        {
            TaskCompletionSource ready;
            lock (_gate)
            {
                if (max <= 0 || _running < max)
                {
                    _running++;
                    return;
                }

                ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add((request, ready));
            }

            try
            {
                await ready.Task.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (_gate)
                {
                    if (_waiting.RemoveAll(w => w.Ready == ready) == 0)
                    {
                        _running--; // the slot was handed over concurrently: give it back
                        Wake(max);
                    }
                }

                throw;
            }
        }

        public void Release(int max)
        {
            lock (_gate)
            {
                _running--;
                Wake(max);
            }
        }

        private void Wake(int max)
        {
            while (_waiting.Count > 0 && (max <= 0 || _running < max))
            {
                var next = _waiting.OrderBy(w => w.Request.LowPriority ? 1 : 0).ThenBy(w => w.Request.Sequence).First();
                _waiting.Remove(next);
                _running++;
                next.Ready.TrySetResult();
            }
        }
    }
}
