using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// A 404 from fal's CDN is not the end of a paid video: the step retries it with backoff, then the next round reads
/// fal's result again for the video's URL; only <c>Jobs:VideoNotFoundRounds</c> such rounds make the result count as gone.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class CdnNotFoundTests(Azurite azurite)
{
    [Fact]
    public async Task ACdnThat404sForAWhile_IsRetried_AndFalsResultReadAgain_ThenTheVideoIsArchived()
    {
        // The step's three tries all 404, and the first of the next round: the round after reads fal's result again.
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.Fal(FaultRule.CallHttpError(RequestKind.FileGet, 404, count: 4)));

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A pier in the rain"));
        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        Assert.Single(await pipeline.VideoBlobsAsync());
        Assert.Equal(5, pipeline.Fal.State.GetCount(RequestKind.FileGet));
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Result)); // confirmed against fal's result API
        Assert.Equal("completed", (await pipeline.GetStatusAsync(jobId)).Text("phase"));
    }

    [Fact]
    public async Task ACdnThatKeeps404ing_MakesTheResultCountAsGone_AfterItsRounds()
    {
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            PipelineProbes.Fal(FaultRule.CallHttpError(RequestKind.FileGet, 404, count: null)),
            new Dictionary<string, string?> { ["Jobs:VideoNotFoundRounds"] = "2" });

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A pier in the fog"));
        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("failed", status.Text("phase"));
        Assert.Contains("counts as gone", status.Text("error"));
        Assert.Equal(6, pipeline.Fal.State.GetCount(RequestKind.FileGet)); // two rounds of the step's three tries
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Result)); // fal's result read again between them
        Assert.Empty(await pipeline.VideoBlobsAsync());
    }
}
