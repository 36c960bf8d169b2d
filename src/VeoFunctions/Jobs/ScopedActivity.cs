using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VeoFunctions.Archive;
using VeoFunctions.Jobs.Activities;
using VeoFunctions.Telemetry;

namespace VeoFunctions.Jobs;

/// <summary>
/// Runs an activity inside its job's logging scope (<see cref="JobLogScope"/>): the job is the orchestration instance
/// (a salvage run's id names its job), fal's request id comes from the input when it carries one. One wrapper at
/// registration, so no activity can forget it.
/// </summary>
internal sealed class ScopedActivity(ITaskActivity inner, ILogger logger) : ITaskActivity
{
    public Type InputType => inner.InputType;

    public Type OutputType => inner.OutputType;

    public static Func<IServiceProvider, ITaskActivity> For<TActivity>() where TActivity : class, ITaskActivity =>
        services => new ScopedActivity(ActivatorUtilities.CreateInstance<TActivity>(services), services.GetRequiredService<ILoggerFactory>().CreateLogger<TActivity>());

    public async Task<object?> RunAsync(TaskActivityContext context, object? input)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (jobId, salvageRound) = JobIds.JobOf(context.InstanceId);
        using var scope = JobLogScope.Begin(logger, jobId, RequestIdOf(input), salvageRound > 0);
        return await inner.RunAsync(context, input).ConfigureAwait(false);
    }

    private static string? RequestIdOf(object? input) => input switch
    {
        FalJob fal => fal.RequestId,
        ArchiveRequest archive => archive.FalRequestId,
        CostSettlement cost => cost.FalRequestId,
        JobEndRecord end => end.FalRequestId,
        _ => null,
    };
}
