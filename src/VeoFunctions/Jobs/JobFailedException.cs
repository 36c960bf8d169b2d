namespace VeoFunctions.Jobs;

/// <summary>
/// A failure no retry can fix (bad image, fal's 422, content policy, an uncertain submit). Its message is one
/// sentence for the user. Activities throw it; the orchestrator's retry policies never retry it.
/// </summary>
public sealed class JobFailedException : Exception
{
    public JobFailedException() { }

    public JobFailedException(string message) : base(message) { }

    public JobFailedException(string message, Exception innerException) : base(message, innerException) { }
}
