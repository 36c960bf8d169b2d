namespace VeoFunctions.Jobs;

/// <summary>What became of a verified delivery.</summary>
public enum WebhookIntakeOutcome
{
    /// <summary>Kept for the job (and the job woken if it runs, or its video salvaged if it ended without it).</summary>
    Accepted,

    /// <summary>Genuine, but for a job with no submit on record: there is nothing it could change.</summary>
    NothingToDo,

    /// <summary>The job awaits adoption of a lost submit, and the URL's token is not the job's own.</summary>
    WrongToken,

    /// <summary>The request belongs to another job.</summary>
    WrongJob,
}
