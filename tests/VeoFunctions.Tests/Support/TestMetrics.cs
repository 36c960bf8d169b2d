using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using VeoFunctions.Telemetry;

namespace VeoFunctions.Tests.Support;

/// <summary>The app's meter on a meter factory of its own, as DI makes it.</summary>
internal static class TestMetrics
{
    private static readonly IMeterFactory Meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    public static VeoMetrics Create() => new(Meters);
}
