namespace VeoFunctions.Manifests;

/// <summary>
/// Some jobs of a manifest could not be started (each gave back its claim and reservation); the others started. The
/// trigger's retry, or running the manifest again, starts them. Its inner exceptions are for the log, not for a caller.
/// </summary>
public sealed class ManifestIncompleteException : AggregateException
{
    public ManifestIncompleteException(string manifest, int total, IReadOnlyCollection<Exception> failures)
        : base($"Manifest {manifest}: {failures?.Count} of {total} job(s) could not be started; the trigger's retry starts them.", failures ?? [])
    {
        Failed = failures?.Count ?? 0;
        Total = total;
    }

    public ManifestIncompleteException()
    {
    }

    public ManifestIncompleteException(string message)
        : base(message)
    {
    }

    public ManifestIncompleteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>How many jobs could not be started.</summary>
    public int Failed { get; }

    /// <summary>How many jobs the intake was starting.</summary>
    public int Total { get; }
}
