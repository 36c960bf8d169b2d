using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.ApplicationInsights.Extensibility;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace VeoFunctions.Telemetry;

/// <summary>
/// Sends the worker's telemetry where <see cref="TelemetryOptions"/> says, and makes sure Information logs arrive: the
/// Application Insights SDK adds a filter rule that keeps only warnings from its logger provider, which would drop the
/// very line mapping a job to its fal request; it is removed, as Microsoft's isolated-worker guide shows.
/// </summary>
public static class AppTelemetry
{
    /// <summary>The logger provider whose default rule drops Information (Microsoft.Extensions.Logging.ApplicationInsights).</summary>
    public const string ApplicationInsightsProvider = "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider";

    private const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    private const string AuthenticationSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";
    private const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static IServiceCollection AddAppTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string? connectionString = configuration[ConnectionStringSetting];
        bool entra = configuration[AuthenticationSetting]?.Contains("Authorization=AAD", StringComparison.OrdinalIgnoreCase) == true;
        switch (Choose(configuration))
        {
            case TelemetryExporter.ApplicationInsights:
                services.AddApplicationInsightsTelemetryWorkerService().ConfigureFunctionsApplicationInsights();
                services.Configure<LoggerFilterOptions>(RemoveApplicationInsightsWarningRule);
                services.AddSingleton<ITelemetryInitializer, QueryStringRedactor>();
                if (entra)
                {
                    // Local auth may be off on the component: the worker's SDK must send with the app's identity, as the host does.
                    services.Configure<TelemetryConfiguration>(telemetry => telemetry.SetAzureTokenCredential(new DefaultAzureCredential()));
                }

                break;

            case TelemetryExporter.OpenTelemetry:
                // Scopes carry the job's id (JobLogScope); OpenTelemetry drops them unless asked.
                services.Configure<OpenTelemetry.Logs.OpenTelemetryLoggerOptions>(logs => (logs.IncludeScopes, logs.IncludeFormattedMessage) = (true, true));
                var otel = services.AddOpenTelemetry().UseFunctionsWorkerDefaults().WithLogging().WithTracing().WithMetrics(metrics => metrics.AddMeter(VeoMetrics.MeterName));
                if (!string.IsNullOrWhiteSpace(connectionString))
                {
                    otel.UseAzureMonitorExporter(monitor =>
                    {
                        monitor.ConnectionString = connectionString;
                        if (entra)
                        {
                            monitor.Credential = new DefaultAzureCredential();
                        }
                    });
                }

                if (!string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]))
                {
                    otel.UseOtlpExporter();
                }

                break;
        }

        return services;
    }

    /// <summary>The exporter configured, or the one the environment provides for.</summary>
    public static TelemetryExporter Choose(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>()?.Exporter;
        return configured
            ?? (!string.IsNullOrWhiteSpace(configuration[ConnectionStringSetting]) ? TelemetryExporter.ApplicationInsights
                : !string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]) ? TelemetryExporter.OpenTelemetry
                : TelemetryExporter.None);
    }

    private static void RemoveApplicationInsightsWarningRule(LoggerFilterOptions options)
    {
        var rule = options.Rules.FirstOrDefault(r => r.ProviderName == ApplicationInsightsProvider);
        if (rule is not null)
        {
            options.Rules.Remove(rule);
        }
    }
}
