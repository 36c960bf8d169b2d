using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using VeoFunctions.Jobs;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// Orchestration versioning as the Functions host applies it from host.json: new instances get the default version
/// (the host stamps it; here the client does), and the worker runs instances of its version or older. A mismatch
/// fails the instance instead of the host's Reject, because the test sidecar cannot hand an abandoned item back.
/// </summary>
internal static class DurableVersioning
{
    public static DurableTaskWorkerOptions.VersioningOptions Worker(string version) => new()
    {
        Version = version,
        DefaultVersion = version,
        MatchStrategy = DurableTaskWorkerOptions.VersionMatchStrategy.CurrentOrOlder,
        FailureStrategy = DurableTaskWorkerOptions.VersionFailureStrategy.Fail,
    };

    /// <summary>For the in-process engine's host: its worker and client are the default-named builders.</summary>
    public static void AsTheHostDoes(IServiceCollection services, string version = VideoJobOrchestrator.Version)
    {
        services.AddDurableTaskWorker().UseVersioning(Worker(version));
        services.AddDurableTaskClient().UseDefaultVersion(version);
    }
}
