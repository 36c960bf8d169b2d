using Microsoft.ApplicationInsights.Channel;
using Microsoft.ApplicationInsights.DataContracts;
using Microsoft.ApplicationInsights.Extensibility;

namespace VeoFunctions.Telemetry;

/// <summary>
/// Application Insights records the app's outgoing calls and requests with their full URLs, and a query string here is
/// often a credential: a SAS signature on a user's image link, the webhook token inside fal's submit URL, a function
/// key. The query is cut from every dependency and request before it is sent; the path is enough to find the call.
/// </summary>
public sealed class QueryStringRedactor : ITelemetryInitializer
{
    public const string Redacted = "?REDACTED";

    public void Initialize(ITelemetry telemetry)
    {
        switch (telemetry)
        {
            case DependencyTelemetry dependency:
                dependency.Data = Redact(dependency.Data);
                break;
            case RequestTelemetry request when request.Url is { Query.Length: > 0 } url:
                request.Url = new Uri(Redact(url.AbsoluteUri)!);
                break;
        }
    }

    /// <summary>The text up to its query string, with <see cref="Redacted"/> in place of the query.</summary>
    public static string? Redact(string? url) => url?.IndexOf('?', StringComparison.Ordinal) is int at and >= 0 ? url[..at] + Redacted : url;
}
