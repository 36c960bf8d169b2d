using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace VeoFunctions.Jobs;

/// <summary>
/// One execution of a job's story: its context, its retry policy, the caller's cancel, and what a caller sees
/// (the custom status, with a timeline of phases and one replay-safe log line per phase change). Everything here
/// is derived from the orchestration's own history, so it is as deterministic as the orchestrator.
/// </summary>
internal sealed class JobRun : IDisposable
{
    private readonly CancellationTokenSource _stopListening = new();
    private readonly List<PhaseChange> _timeline = [];
    private readonly List<Task> _phaseCallbacks = [];
    private JobProgress _progress = new(JobPhase.Validating);

    public JobRun(TaskOrchestrationContext context, string jobId, JobTiming timing, DateTimeOffset createdAt, JobCallback? callback, bool salvage = false, Money.JobCost? cost = null)
    {
        _progress = _progress with { Cost = cost };
        Context = context;
        JobId = jobId;
        Timing = timing;
        CreatedAt = createdAt;
        Callback = callback;
        IsSalvage = salvage;
        Retry = RetryOptions(timing);
        CancelRequested = context.WaitForExternalEvent<string>(VideoJobOrchestrator.CancelEvent, _stopListening.Token);
        Webhook = context.WaitForExternalEvent<FalWebhookEvent>(VideoJobOrchestrator.FalWebhookEvent, _stopListening.Token);
    }

    public TaskOrchestrationContext Context { get; }

    public string JobId { get; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>Where the job reports, if its caller asked.</summary>
    public JobCallback? Callback { get; }

    /// <summary>This run archives a video delivered after its job had ended.</summary>
    public bool IsSalvage { get; }

    /// <summary>Phase-change callbacks under way (they never hold the story up; the end waits for them).</summary>
    public IReadOnlyList<Task> PhaseCallbacks => _phaseCallbacks;

    public JobTiming Timing { get; }

    /// <summary>The durable retry policy for a single step (seconds to minutes); longer troubles are the story's to handle.</summary>
    public TaskOptions Retry { get; }

    /// <summary>Completes when the caller asks to cancel. Checking it is deterministic: events replay in history order.</summary>
    public Task<string> CancelRequested { get; }

    /// <summary>
    /// Completes with fal's first webhook for the job. One waiter serves the whole job, so a delivery that comes
    /// while a step runs is never missed.
    /// </summary>
    public Task<FalWebhookEvent> Webhook { get; }

    public DateTime Now => Context.CurrentUtcDateTime;


    public JobPhase Phase => _progress.Phase;

    /// <summary>The status document as it stands: what <c>GET /api/videos/{jobId}</c> and a callback carry.</summary>
    public JobStatus Status => JobStatus.Of(JobId, CreatedAt, new DateTimeOffset(Now, TimeSpan.Zero), _progress, IsSalvage);

    /// <summary>True once fal was asked to stop the request because its caller cancelled the job.</summary>
    public bool StoppedByCaller { get; set; }

    /// <summary>What the job costs as far as it knows: the door's estimate, and fal's bill once settled.</summary>
    public Money.JobCost? Cost => _progress.Cost;

    /// <summary>The request fal is working on, once known.</summary>
    public FalJob? Fal { get; private set; }

    /// <summary>Enters a phase (or stays in it) and publishes what changed.</summary>
    public void Enter(JobPhase phase, int? queuePosition = null, IReadOnlyList<string>? logs = null)
    {
        bool changed = phase != _progress.Phase || _timeline.Count == 0;
        if (changed)
        {
            _timeline.Add(new PhaseChange(phase, new DateTimeOffset(Now, TimeSpan.Zero)));
            var logger = Context.CreateReplaySafeLogger<JobRun>();
            logger.LogInformation(5001, "Job {JobId} is {Phase} (fal request {RequestId})", JobId, phase, Fal?.RequestId);
        }

        Publish(_progress with { Phase = phase, QueuePosition = queuePosition, Logs = logs ?? _progress.Logs });
        if (changed && Callback is { OnEveryPhase: true } callback && phase is not (JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled))
        {
            // Started, not awaited: a slow receiver must not hold the job up. The end's callback says the rest.
            string eventId = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{JobId}-{_timeline.Count}-{phase.ToString().ToLowerInvariant()}{(IsSalvage ? "-salvage" : "")}");
            _phaseCallbacks.Add(Context.CallActivityAsync<Callbacks.CallbackOutcome>(nameof(Activities.DeliverCallback), new Activities.CallbackDelivery(JobId, callback.Url, eventId, Status), Retry));
        }
    }

    /// <summary>Records the request fal is working on.</summary>
    public void Submitted(FalJob fal)
    {
        Fal = fal;
        Publish(_progress with { FalRequestId = fal.RequestId, SubmittedAt = fal.SubmittedAt, LastError = null });
    }

    /// <summary>A trouble the job is working through; null when it has passed.</summary>
    public void Trouble(string? lastError)
    {
        if (lastError != _progress.LastError)
        {
            if (lastError is not null)
            {
                var logger = Context.CreateReplaySafeLogger<JobRun>();
                logger.LogWarning(5002, "Job {JobId} is working through a problem: {Problem}", JobId, lastError);
            }

            Publish(_progress with { LastError = lastError });
        }
    }

    public void Note(string note) => Publish(_progress with { Note = note });

    /// <summary>The job's cost, settled (or still pending) after its end.</summary>
    public void Costs(Money.JobCost cost) => Publish(_progress with { Cost = cost });

    /// <summary>The job's video is archived.</summary>
    public void Archived(ArchivedVideo video, JobPhase phase)
    {
        Ended ??= JobEndCause.Completed;
        _progress = _progress with { Video = video, LastError = null };
        Enter(phase);
    }

    /// <summary>Why the job ended, once it has (<see cref="JobEndCause.Completed"/> for an archived video).</summary>
    public JobEndCause? Ended { get; private set; }

    /// <summary>
    /// fal said it does not bill how the request ended (a 5xx, a request it dropped or removed from its queue), so the
    /// job's reservation is released even without fal's billing to confirm it.
    /// </summary>
    public bool UnbilledByFal { get; set; }

    /// <summary>
    /// Ends the job without its video; throw what it returns. An expected end (<see cref="JobEndCauses.IsExpected"/>) is
    /// logged as information; an unexpected one, which may have left a paid video behind, as an error.
    /// </summary>
    public JobFailedException End(JobPhase phase, string reason, JobEndCause cause)
    {
        Ended ??= cause;
        _progress = _progress with { Error = reason, LastError = null, QueuePosition = null };
        Enter(phase);
        var logger = Context.CreateReplaySafeLogger<JobRun>();
        if (cause.IsExpected())
        {
            logger.LogInformation(5003, "Job {JobId} ended {Phase} ({Cause}): {Reason}", JobId, phase, cause, reason);
        }
        else if (Fal is { } fal)
        {
            logger.LogError(5004, "Job {JobId} failed with fal request {RequestId} and no video, paid and lost ({Cause}): {Reason}", JobId, fal.RequestId, cause, reason);
        }
        else
        {
            logger.LogError(5005, "Job {JobId} failed ({Cause}): {Reason}", JobId, cause, reason);
        }

        return new JobFailedException(reason);
    }

    /// <summary>
    /// Runs a step that must happen (a storage write the job's outcome or its reporting depends on) until it does,
    /// through any outage: a growing pause between rounds, the trouble shown meanwhile.
    /// </summary>
    public async Task<T> UntilDoneAsync<T>(string activity, object input, string trouble)
    {
        for (var wait = Timing.FirstRetryInterval; ; wait = wait * 2 < Timing.MaxArchiveRetryInterval ? wait * 2 : Timing.MaxArchiveRetryInterval)
        {
            try
            {
                var done = await Context.CallActivityAsync<T>(activity, input, Retry);
                Trouble(null);
                return done;
            }
            catch (TaskFailedException failed)
            {
                Trouble($"{trouble}: {Reason(failed)}");
                await Context.CreateTimer(Now + wait, CancellationToken.None);
            }
        }
    }

    /// <summary>Keeps listening for a caller's cancel only while the job runs.</summary>
    public void Dispose()
    {
        _stopListening.Cancel();
        _stopListening.Dispose();
    }

    private void Publish(JobProgress progress)
    {
        _progress = progress with { Timeline = _timeline.ToArray() };
        Context.SetCustomStatus(_progress);
    }

    private static TaskOptions RetryOptions(JobTiming timing) => TaskOptions.FromRetryPolicy(
        new RetryPolicy(timing.MaxActivityAttempts, timing.FirstRetryInterval, backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(1))
        {
            // Never retry what no retry can fix.
            HandleFailure = failure => !IsJobFailure(failure),
        });

    // By name, not IsCausedBy<T>(): that resolves the failure's type by name across every loaded assembly and
    // throws when two share it (HttpRequestException does), which would break retries exactly when needed.
    public static bool IsJobFailure(TaskFailureDetails failure) => failure.ErrorType == typeof(JobFailedException).FullName;

    /// <summary>
    /// One sentence for a step that failed: its own verdict, or that it kept failing and why, with the exception's
    /// text cleared of storage XML and host names (<see cref="FailureText"/>): callers see it.
    /// </summary>
    public static string Reason(TaskFailedException failed) => IsJobFailure(failed.FailureDetails)
        ? failed.FailureDetails.ErrorMessage
        : $"Step {failed.TaskName} kept failing after retries: {FailureText.Clear(failed.FailureDetails.ErrorMessage)}";
}
