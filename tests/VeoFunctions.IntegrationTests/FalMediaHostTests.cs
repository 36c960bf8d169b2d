using FalEmulator;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using VeoFunctions.IntegrationTests.Infrastructure;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// A result's video URL is fetched only from fal's media hosts (<c>Fal:MediaHosts</c>) and through the SSRF-guarded
/// handler: a genuine delivery naming a video elsewhere, or on a listed host that resolves to a private address,
/// is refused with a clear error; nothing is downloaded or archived and the job shows no video. fal serves the video
/// under the name the test gives it (the emulator's public base URL), so "elsewhere" is the test's choice. fal keeps the
/// result, so a refused video is not lost: once its host is listed, <c>POST …/resume</c> archives it.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class FalMediaHostTests(Azurite azurite)
{
    [Fact]
    public async Task AVideoOnAHostThatIsNotFals_IsRefused_NotDownloaded_NotArchived()
    {
        int port = LoopbackPorts.Free();
        await using var pipeline = await Pipeline.StartAsync(azurite, new EmulatorOptions { Port = port, PublicBaseUrl = $"http://localhost:{port}" });

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A lighthouse at dusk"));
        var done = await pipeline.WaitForJobAsync(jobId);

        await AssertRefusedAsync(pipeline, jobId, done, "http://localhost, which is not one of fal's media hosts");
    }

    [Fact]
    public async Task AVideoOnAListedHost_ThatIsAPrivateAddress_IsRefused_NotArchived()
    {
        // 127.0.0.2 is listed as a media host but not as an allowed private address: the connect-time check refuses it.
        // (fal listens on every address so that its uploads reach it under that name too.)
        int port = LoopbackPorts.Free();
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            new EmulatorOptions { ListenAddress = "0.0.0.0", Port = port, PublicBaseUrl = $"http://127.0.0.2:{port}" },
            new Dictionary<string, string?> { ["Fal:MediaHosts:1"] = "127.0.0.2" });

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A lighthouse at dawn"));
        var done = await pipeline.WaitForJobAsync(jobId);

        await AssertRefusedAsync(pipeline, jobId, done, "127.0.0.2, which resolves to a private network address");
    }

    [Fact]
    public async Task AVideoOnAHostNotYetListed_IsArchivedByResume_OnceTheHostIsListed()
    {
        int port = LoopbackPorts.Free();
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            new EmulatorOptions { Port = port, PublicBaseUrl = $"http://localhost:{port}" },
            new Dictionary<string, string?> { ["Images:AllowedPrivateHosts:1"] = "localhost" }); // loopback stands in for a public host
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A lighthouse in a gale"));
        await AssertRefusedAsync(pipeline, jobId, await pipeline.WaitForJobAsync(jobId), "not one of fal's media hosts");
        Assert.Contains($"POST /api/videos/{jobId}/resume", (await pipeline.GetStatusAsync(jobId)).Text("error"));

        // fal serves from a new host after all: the operator lists it, and resumes the job.
        pipeline.Configuration["Fal:MediaHosts:1"] = "localhost";
        ((IConfigurationRoot)pipeline.Configuration).Reload();
        await pipeline.ResumeIntoSalvageAsync(jobId);
    }

    private static async Task AssertRefusedAsync(Pipeline pipeline, string jobId, OrchestrationMetadata done, string expected)
    {
        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("failed", status.Text("phase"));
        Assert.Contains(expected, status.Text("error"));
        Assert.False(status.Has("video"), status.ToString());
        Assert.Equal(0, pipeline.Fal.State.GetCount(RequestKind.FileGet));
        Assert.Empty(await pipeline.VideoBlobsAsync());
        Assert.Single(pipeline.Fal.State.Submissions);
    }
}
