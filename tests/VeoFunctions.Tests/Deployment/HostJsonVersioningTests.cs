using VeoFunctions.Jobs;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Deployment;

/// <summary>
/// The deploy rule's switches (docs/design.md, "Deploying a change to the story"): the host stamps host.json's
/// defaultVersion on new instances, so it must be the version the orchestrator branches on, and a worker must run
/// its own version and older ones (the first release's unversioned jobs) while leaving newer ones to a newer worker.
/// </summary>
public sealed class HostJsonVersioningTests
{
    private static readonly System.Text.Json.JsonElement DurableTask = RepositoryFiles.HostJson().GetProperty("extensions").GetProperty("durableTask");

    [Fact]
    public void TheDefaultVersion_IsTheOrchestratorsCurrentVersion() =>
        Assert.Equal(VideoJobOrchestrator.Version, DurableTask.GetProperty("defaultVersion").GetString());

    [Fact]
    public void AWorkerRunsItsVersionAndOlder_AndRejectsNewerOnes()
    {
        Assert.Equal("CurrentOrOlder", DurableTask.GetProperty("versionMatchStrategy").GetString());
        Assert.Equal("Reject", DurableTask.GetProperty("versionFailureStrategy").GetString());
    }
}
