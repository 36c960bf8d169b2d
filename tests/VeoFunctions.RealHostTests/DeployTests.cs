using System.Text.Json.Nodes;
using Azure.Data.Tables;
using FalEmulator;
using VeoFunctions.RealHostTests.Infrastructure;
using Xunit.Abstractions;

namespace VeoFunctions.RealHostTests;

/// <summary>
/// A deploy while a job is in flight: the job started under an earlier release's host.json (its orchestration version)
/// completes on that version's steps after the app is redeployed with today's host.json and the host restarted.
/// </summary>
[Trait("Category", "RealHost")]
[Collection(RealHostCollection.Name)] // one host at a time: two cores
public sealed class DeployTests(ITestOutputHelper output)
{
    /// <param name="previous">The earlier release's durable version: null for the first release, which had none.</param>
    [SkippableTheory]
    [InlineData(null)]
    [InlineData("2.0")]
    public async Task AJobStartedOnThePreviousVersion_CompletesAfterARedeployAndRestartOnTheCurrentOne(string? previous)
    {
        var launcher = RealHost.Require();
        const string Prompt = "A paper boat drifts down a gutter, across a deploy";
        var fal = new EmulatorOptions();
        fal.Faults.Add(FaultRule.Generation(FaultKind.Held, promptContains: Prompt));
        await using var app = await RealHostApp.StartAsync(launcher, output, fal, hostJson: json =>
        {
            var durable = json["extensions"]!["durableTask"]!.AsObject();
            if (previous is null)
            {
                durable.Remove("defaultVersion");
                durable.Remove("versionMatchStrategy");
                durable.Remove("versionFailureStrategy");
            }
            else
            {
                durable["defaultVersion"] = previous;
            }
        });

        string jobId = await Samples.StartAsync(app, Samples.Job(Prompt));
        await app.WaitForStatusAsync(jobId, s => s.GetProperty("phase").GetString() is "queued" or "generating", "waiting for fal");
        Assert.Equal(previous ?? string.Empty, await VersionOfAsync(app, jobId));

        await app.RedeployAsync();
        app.Fal.State.ReleaseHeld();

        var status = await app.WaitForEndAsync(jobId);
        Assert.True(status.GetProperty("phase").GetString() == "completed", status.ToString());
        Assert.Equal(previous ?? string.Empty, await VersionOfAsync(app, jobId)); // it finished on its own version's steps
        Assert.Equal(1, app.Fal.State.GetCount(RequestKind.Submit));
        string currentVersion = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.AppBuildOutput, "host.json")))!["extensions"]!["durableTask"]!["defaultVersion"]!.GetValue<string>();
        string next = await Samples.StartAsync(app, Samples.Job("A job after the deploy"));
        Assert.Equal("completed", (await app.WaitForEndAsync(next)).GetProperty("phase").GetString());
        Assert.Equal(currentVersion, await VersionOfAsync(app, next));
    }

    // The Azure Storage backend keeps each instance's orchestration version in the task hub's Instances table.
    private static async Task<string> VersionOfAsync(RealHostApp app, string jobId)
    {
        var table = new TableClient(app.Azurite.ConnectionString, "VeoFunctionsInstances");
        var row = await table.GetEntityAsync<TableEntity>(jobId, string.Empty);
        return row.Value.GetString("Version") ?? string.Empty;
    }
}
