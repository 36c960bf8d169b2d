using System.Diagnostics.Metrics;
using Microsoft.ApplicationInsights.Channel;
using Microsoft.ApplicationInsights.DataContracts;
using Microsoft.ApplicationInsights;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using VeoFunctions.Jobs;
using VeoFunctions.Telemetry;

namespace VeoFunctions.Tests.Telemetry;

/// <summary>Information logs reach whichever exporter is configured, with the job's scope; the meter reaches OpenTelemetry; none configured breaks nothing.</summary>
public sealed class TelemetryTests
{
    private const string ConnectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:9/";

    private static IHost Build(Dictionary<string, string?> settings, Action<IServiceCollection>? before = null, Action<IServiceCollection>? after = null)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Fal:Key"] = "test-id:test-secret",
            ["Jobs:PublicBaseUrl"] = "https://app.example",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        before?.Invoke(builder.Services);
        VeoFunctionsApp.Configure(builder);
        after?.Invoke(builder.Services);
        return builder.Build();
    }

    private static ILogger AppLogger(IHost host) => host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("VeoFunctions.Jobs.Activities.SubmitToFal");

    [Fact]
    public void TheExporter_IsChosenFromTheEnvironment_UnlessConfigured()
    {
        static TelemetryExporter Choose(params (string, string?)[] settings) =>
            AppTelemetry.Choose(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Item1, s.Item2))).Build());

        Assert.Equal(TelemetryExporter.None, Choose());
        Assert.Equal(TelemetryExporter.ApplicationInsights, Choose(("APPLICATIONINSIGHTS_CONNECTION_STRING", ConnectionString)));
        Assert.Equal(TelemetryExporter.OpenTelemetry, Choose(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")));
        Assert.Equal(TelemetryExporter.OpenTelemetry, Choose(("APPLICATIONINSIGHTS_CONNECTION_STRING", ConnectionString), ("Telemetry:Exporter", "OpenTelemetry")));
        Assert.Equal(TelemetryExporter.None, Choose(("APPLICATIONINSIGHTS_CONNECTION_STRING", ConnectionString), ("Telemetry:Exporter", "None")));
    }

    [Fact]
    public void WithApplicationInsights_InformationLogsReachItsChannel_WithTheJobsScope()
    {
        var channel = new RecordingChannel();
        using var host = Build(new() { ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ConnectionString }, before: services => services.AddSingleton<ITelemetryChannel>(channel));
        var logger = AppLogger(host);

        using (JobLogScope.Begin(logger, "job1", "req-1"))
        {
            logger.LogInformation("Job {JobId} was submitted", "job1");
        }

        host.Services.GetRequiredService<TelemetryClient>().Flush();
        var trace = Assert.Single(channel.Sent.OfType<TraceTelemetry>(), t => t.Message.Contains("was submitted", StringComparison.Ordinal));
        Assert.Equal(SeverityLevel.Information, trace.SeverityLevel);
        Assert.Equal("job1", trace.Properties[JobLogScope.JobId]);
        Assert.Equal("req-1", trace.Properties[JobLogScope.FalRequestId]);
        var filters = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LoggerFilterOptions>>().Value;
        Assert.DoesNotContain(filters.Rules, rule => rule.ProviderName == AppTelemetry.ApplicationInsightsProvider);
    }

    [Fact]
    public void WithApplicationInsights_NoRequestUrlOrRedirectTarget_IsSent_EvenWithLoggingTurnedUpForIt()
    {
        var channel = new RecordingChannel();
        using var host = Build(
            new()
            {
                ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ConnectionString,
                ["Logging:LogLevel:Default"] = "Trace",
                ["Logging:ApplicationInsights:LogLevel:Default"] = "Trace", // a provider rule outranks any rule without one
            },
            before: services => services.AddSingleton<ITelemetryChannel>(channel));
        var loggers = host.Services.GetRequiredService<ILoggerFactory>();

        loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").LogInformation("Request starting HTTP/1.1 GET https://app.example/api/videos/x/video?code=FUNCTION-KEY");
        loggers.CreateLogger("Microsoft.AspNetCore.Mvc.Infrastructure.RedirectResultExecutor").LogInformation("Executing RedirectResult, redirecting to https://acct.blob.core.windows.net/v/x.mp4?sp=r&sig=SAS-SIGNATURE.");
        loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").LogWarning("A warning still comes through");
        AppLogger(host).LogInformation("The app's own information still comes through");
        var client = host.Services.GetRequiredService<TelemetryClient>();
        client.TrackDependency(new DependencyTelemetry("Http", "images.example", "GET /fox.png", "https://images.example/fox.png?sv=2024&sig=SAS-SIGNATURE"));
        client.TrackRequest(new RequestTelemetry { Name = "GET /api/fal/webhook", Url = new Uri("https://app.example/api/fal/webhook?job=j&token=WEBHOOK-TOKEN") });
        client.Flush();

        string sent = string.Join("\n", channel.Sent.Select(item => item switch
        {
            TraceTelemetry t => t.Message,
            DependencyTelemetry d => d.Data + " " + d.Name,
            RequestTelemetry r => r.Url + " " + r.Name,
            _ => "",
        }));
        Assert.DoesNotContain("FUNCTION-KEY", sent, StringComparison.Ordinal);
        Assert.DoesNotContain("SAS-SIGNATURE", sent, StringComparison.Ordinal);
        Assert.DoesNotContain("WEBHOOK-TOKEN", sent, StringComparison.Ordinal);
        Assert.Contains("A warning still comes through", sent, StringComparison.Ordinal);
        Assert.Contains("The app's own information still comes through", sent, StringComparison.Ordinal);
        Assert.Contains("https://images.example/fox.png" + QueryStringRedactor.Redacted, sent, StringComparison.Ordinal);
    }

    [Fact]
    public void WithOpenTelemetry_InformationLogsAndTheMeterReachItsExporters_WithTheJobsScope()
    {
        var logs = new List<LogRecord>();
        var metrics = new List<OpenTelemetry.Metrics.Metric>();
        using var host = Build(new() { ["Telemetry:Exporter"] = "OpenTelemetry" }, after: services =>
        {
            services.ConfigureOpenTelemetryLoggerProvider(provider => provider.AddInMemoryExporter(logs));
            services.ConfigureOpenTelemetryMeterProvider(provider => provider.AddInMemoryExporter(metrics));
        });
        var logger = AppLogger(host);

        using (JobLogScope.Begin(logger, "job2"))
        {
            logger.LogInformation("Job {JobId} was submitted", "job2");
        }

        var meterProvider = host.Services.GetRequiredService<MeterProvider>(); // started with the host in the app
        host.Services.GetRequiredService<VeoMetrics>().JobStarted("http", 3.2m);
        meterProvider.ForceFlush();

        var record = Assert.Single(logs, l => l.FormattedMessage?.Contains("was submitted", StringComparison.Ordinal) == true);
        Assert.Equal(LogLevel.Information, record.LogLevel);
        var scopes = new Dictionary<string, object?>();
        record.ForEachScope((scope, into) =>
        {
            foreach (var (key, value) in scope)
            {
                into[key] = value;
            }
        }, scopes);
        Assert.Equal("job2", scopes[JobLogScope.JobId]);
        Assert.Contains(metrics, m => m.Name == "veo.jobs.started" && m.MeterName == VeoMetrics.MeterName);
    }

    [Fact]
    public void WithNeitherConfigured_TheAppBuildsAndLogs_AndNoTelemetryClientIsRegistered()
    {
        using var host = Build([]);

        AppLogger(host).LogInformation("Nothing to export to");

        Assert.Null(host.Services.GetService<TelemetryClient>());
        Assert.Null(host.Services.GetService<MeterProvider>());
    }

    private sealed class RecordingChannel : ITelemetryChannel
    {
        public List<ITelemetry> Sent { get; } = [];

        public bool? DeveloperMode { get; set; }

        public string EndpointAddress { get; set; } = "";

        public void Send(ITelemetry item)
        {
            lock (Sent)
            {
                Sent.Add(item);
            }
        }

        public void Flush()
        {
        }

        public void Dispose()
        {
        }
    }
}
