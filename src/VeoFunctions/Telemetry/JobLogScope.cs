using Microsoft.Extensions.Logging;

namespace VeoFunctions.Telemetry;

/// <summary>
/// The logging scope that ties a line to its job: <c>JobId</c> and, once known, fal's <c>FalRequestId</c>. Every line
/// written inside it, by any logger of the app (fal's clients, the archive, the ledgers), carries them: in Application
/// Insights as <c>customDimensions.JobId</c>, whichever exporter sends it.
/// </summary>
public static class JobLogScope
{
    public const string JobId = "JobId";

    public const string FalRequestId = "FalRequestId";

    public static IDisposable? Begin(ILogger logger, string jobId, string? falRequestId = null, bool salvage = false)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var scope = new Dictionary<string, object?> { [JobId] = jobId };
        if (falRequestId is not null)
        {
            scope[FalRequestId] = falRequestId;
        }

        if (salvage)
        {
            scope["Salvage"] = true;
        }

        return logger.BeginScope(scope);
    }
}
