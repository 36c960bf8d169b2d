namespace VeoFunctions.Jobs;

/// <summary>How scheduling went.</summary>
public enum ScheduleOutcome
{
    Started,

    /// <summary>The same job (same id, same request) already exists: nothing new was started.</summary>
    AlreadyExists,

    /// <summary>The id is taken by a different request: nothing was started.</summary>
    Conflict,

    /// <summary>A concurrent request with the same id is starting it right now; ask again shortly.</summary>
    Starting,

    /// <summary>The day's budget has no room for the job's estimate: nothing was started or spent.</summary>
    OverBudget,
}
