using FalEmulator;
using VeoFunctions.RealHostTests.Infrastructure;
using VeoFunctions.Testing;

namespace VeoFunctions.RealHostTests;

/// <summary>The worker process dies while a job waits for fal: the host starts a new one, and the job completes once.</summary>
[Trait("Category", "RealHost")]
[Collection(RealHostCollection.Name)]
public sealed class WorkerRestartTests(RealHostFixture host)
{
    [SkippableFact]
    public async Task TheWorkerKilledWhileAJobWaits_IsRestartedByTheHost_AndTheJobCompletesWithOneSubmission()
    {
        var app = host.Require();
        const string Prompt = "A lighthouse in a storm, held at fal";
        app.Fal.State.AddFault(FaultRule.Generation(FaultKind.Held, promptContains: Prompt));
        long submissions = app.Fal.State.GetCount(RequestKind.Submit);

        string jobId = await Samples.StartAsync(app, Samples.Job(Prompt));
        await app.WaitForStatusAsync(jobId, s => s.GetProperty("phase").GetString() is "queued" or "generating", "waiting for fal");
        int killed = app.KillWorker();
        await Poll.UntilAsync(() => app.WorkerProcessIds() is [var pid] && pid != killed, RealHostApp.StartPatience, "the host to start a new worker");
        app.Fal.State.ReleaseHeld();

        var status = await app.WaitForEndAsync(jobId);
        Assert.True(status.GetProperty("phase").GetString() == "completed", status.ToString());
        Assert.Equal(submissions + 1, app.Fal.State.GetCount(RequestKind.Submit));
    }
}
