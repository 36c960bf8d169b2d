using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// Every log line the app writes, with its level, category, event id, message and the scopes it was written in (as
/// the Application Insights and OpenTelemetry providers record them): what a test asserts an on-call engineer would see.
/// </summary>
public sealed class CapturedLogs
{
    public ConcurrentQueue<LogLine> Lines { get; } = new();

    /// <summary>
    /// Adds a provider writing here to the app's logging. One per container: each logger factory hands its provider
    /// its own scope provider, so the durable worker's and the HTTP front's scopes stay apart.
    /// </summary>
    public void AddTo(IServiceCollection services) => AddTo(services, LogLevel.Debug);

    /// <summary>The same, from <paramref name="minimum"/> up (Trace: everything any library writes).</summary>
    public void AddTo(IServiceCollection services, LogLevel minimum) => services.AddLogging(logging => logging.AddProvider(new Provider(this)).SetMinimumLevel(minimum));

    /// <summary>One line: its scopes flattened to name → value (the innermost wins).</summary>
    public sealed record LogLine(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Scope, Exception? Exception);

    private sealed class Provider(CapturedLogs sink) : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        public IExternalScopeProvider Scopes => _scopes;

        public CapturedLogs Sink => sink;
    }

    private sealed class Logger(Provider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner.Scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, object?>();
            owner.Scopes.ForEachScope((value, into) =>
            {
                if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var (key, item) in pairs)
                    {
                        into[key] = item;
                    }
                }
            }, scope);
            owner.Sink.Lines.Enqueue(new LogLine(category, logLevel, eventId, formatter(state, exception), scope, exception));
        }
    }
}
