using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace VeoFunctions.Telemetry;

/// <summary>
/// Keeps bearer secrets out of the logs where the framework, not the app, would write them. ASP.NET Core's hosting
/// diagnostics log every request's URL with its query string at Information: function keys (<c>?code=</c>) and
/// webhook tokens (<c>?token=</c>) included; MVC's result executors log redirect targets (SAS links). The app ships
/// Information to Application Insights, so these categories are held to Warning. Nothing is lost: the Functions host
/// records every request itself, and the app writes no URL with a query string in its own lines.
/// </summary>
public static class SecretSafeLogging
{
    /// <summary>Framework categories that write request URLs or redirect targets below Warning.</summary>
    public static readonly IReadOnlyList<string> UrlWritingCategories =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.Mvc.Infrastructure",
    ];

    public static IServiceCollection AddSecretSafeLogging(this IServiceCollection services)
    {
        // A rule naming a provider beats every rule that names none, whatever its category (LoggerRuleSelector), so a
        // provider with rules of its own (Application Insights adds one) gets these rules under its own name too. Added
        // after all other configuration, so they are the last word for their categories.
        services.AddOptions<LoggerFilterOptions>().PostConfigure(options =>
        {
            foreach (string? provider in options.Rules.Select(rule => rule.ProviderName).Append(null).Distinct().ToList())
            {
                foreach (string category in UrlWritingCategories)
                {
                    options.Rules.Add(new LoggerFilterRule(provider, category, LogLevel.Warning, filter: null));
                }
            }
        });
        return services;
    }
}
