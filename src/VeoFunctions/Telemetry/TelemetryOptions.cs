namespace VeoFunctions.Telemetry;

/// <summary>
/// Where the worker's logs, metrics and traces go. Unset, it is chosen from what the environment provides:
/// Application Insights when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, OpenTelemetry when only
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is, and nothing otherwise (a local run with neither simply logs to the console).
/// </summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary><c>ApplicationInsights</c>, <c>OpenTelemetry</c> or <c>None</c>.</summary>
    public TelemetryExporter? Exporter { get; set; }
}

/// <summary>How the worker exports its telemetry.</summary>
public enum TelemetryExporter
{
    /// <summary>Nothing is exported (the Functions host still sends its own).</summary>
    None,

    /// <summary>
    /// The Application Insights SDK for worker services: logs (Information and up: the SDK's default Warning rule is
    /// removed) and requests. It does not read <see cref="System.Diagnostics.Metrics"/> meters: the app's metrics go out
    /// only with <see cref="OpenTelemetry"/>.
    /// </summary>
    ApplicationInsights,

    /// <summary>
    /// OpenTelemetry with the Functions worker's defaults: logs, traces and the app's meter, to Azure Monitor
    /// (when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set) and to an OTLP collector (when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set).
    /// </summary>
    OpenTelemetry,
}
