using System.Text.Json;
using FalEmulator;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// What a job costs, end to end: the door's estimate, fal's bill from its billing events (the emulator bills 8 s ×
/// the rate for resolution and audio, as fal's price page says), reconciled on the status, the archive manifest and
/// the day's budget; and what is left of the job at fal afterwards.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class MoneyTests(Azurite azurite)
{
    private const string AdminKey = "admin-id:admin-secret";

    private static EmulatorOptions FalWithBilling(TimeSpan? billingDelay = null) => new() { AdminKey = AdminKey, BillingDelay = billingDelay ?? TimeSpan.Zero };

    private static Dictionary<string, string?> Settings(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Fal:AdminKey"] = AdminKey, ["Money:DailyBudgetUsd"] = "100", ["Money:BillingFirstRecheck"] = "00:00:00.200" };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static object Job(string prompt, string resolution = "1080p", bool audio = true) =>
        new { prompt, image_urls = new[] { TestImages.DataUri(TestImages.Png()) }, resolution, generate_audio = audio };

    private static JsonElement CostOf(JsonElement document) => document.GetProperty("cost");

    [Fact]
    public async Task ACompletedJob_ShowsFalsBilledCostBesideItsEstimate_InItsStatusArchiveManifestAndBudget()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, FalWithBilling(), Settings());

        string jobId = await pipeline.StartJobAsync(Job("A lighthouse at dusk", "4k", audio: false));
        await pipeline.AssertArchivedOnceAsync(jobId);

        var cost = CostOf(await pipeline.GetStatusAsync(jobId));
        Assert.Equal((3.20m, 3.20m, false, "billed"), (cost.GetProperty("estimatedUsd").GetDecimal(), cost.GetProperty("actualUsd").GetDecimal(), cost.GetProperty("isEstimate").GetBoolean(), cost.Text("billing")));
        Assert.Equal(3.2m, pipeline.TheSubmission().CostUsd);
        var manifestName = (await pipeline.GetStatusAsync(jobId)).GetProperty("video").GetProperty("manifestBlobName").GetString()!;
        var manifest = JsonDocument.Parse((await pipeline.Videos.GetBlobClient(manifestName).DownloadContentAsync()).Value.Content.ToString()).RootElement;
        Assert.Equal(3.20m, CostOf(manifest).GetProperty("actualUsd").GetDecimal());
        var budget = await BudgetAsync(pipeline);
        Assert.Equal((100m, 0m, 3.2m, 96.8m), (budget.GetProperty("budgetUsd").GetDecimal(), budget.GetProperty("reservedUsd").GetDecimal(), budget.GetProperty("spentUsd").GetDecimal(), budget.GetProperty("remainingUsd").GetDecimal()));
    }

    [Fact]
    public async Task ABillFalBooksLate_IsAskedForAgainOnDurableTimers_UntilItShows()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, FalWithBilling(TimeSpan.FromSeconds(2)), Settings());

        string jobId = await pipeline.StartJobAsync(Job("A lighthouse in fog"));
        var pending = await pipeline.WaitForStatusAsync(jobId, s => s.Text("phase") == "completed");
        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("pending", CostOf(pending).Text("billing"));
        var cost = CostOf(await pipeline.GetStatusAsync(jobId));
        Assert.Equal(("billed", 3.20m), (cost.Text("billing"), cost.GetProperty("actualUsd").GetDecimal()));
        Assert.True(pipeline.Fal.State.GetCount(RequestKind.BillingEvents) >= 2, "fal's billing was asked once only.");
    }

    [Fact]
    public async Task ABillThatDiffersFromTheEstimate_IsLoggedAsAWarning()
    {
        var logs = new CapturedLogs();
        await using var pipeline = await Pipeline.StartAsync(azurite, FalWithBilling(),
            Settings(("Money:PriceSource", "Table"), ("Money:Rates:720p:WithAudio", "0.10")), logs.AddTo);

        string jobId = await pipeline.StartJobAsync(Job("A lighthouse in a storm", "720p"));
        await pipeline.AssertArchivedOnceAsync(jobId);

        var cost = CostOf(await pipeline.GetStatusAsync(jobId));
        Assert.Equal((0.80m, 3.20m), (cost.GetProperty("estimatedUsd").GetDecimal(), cost.GetProperty("actualUsd").GetDecimal()));
        var warning = Assert.Single(logs.Lines, line => line.EventId.Id == 7201);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(jobId, warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutTheAdminKey_TheCostIsTheEstimate_AndFalsBillingIsNeverAsked()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: new Dictionary<string, string?> { ["Money:DailyBudgetUsd"] = "100" });

        string jobId = await pipeline.StartJobAsync(Job("A lighthouse by day"));
        await pipeline.AssertArchivedOnceAsync(jobId);

        var cost = CostOf(await pipeline.GetStatusAsync(jobId));
        Assert.True(cost.GetProperty("isEstimate").GetBoolean());
        Assert.Equal("estimateOnly", cost.Text("billing"));
        Assert.Contains("Fal:AdminKey", cost.Text("note"), StringComparison.Ordinal);
        Assert.Equal(0, pipeline.Fal.State.GetCount(RequestKind.BillingEvents));
        Assert.Equal(0, pipeline.Fal.State.GetCount(RequestKind.DeletePayloads));
        Assert.Equal(3.2m, (await BudgetAsync(pipeline)).GetProperty("spentUsd").GetDecimal());
    }

    [Fact]
    public async Task AfterTheArchive_FalsPayloadsAndOutputFileAreDeleted()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, FalWithBilling(), Settings());

        string jobId = await pipeline.StartJobAsync(Job("A lighthouse keeper"));
        await pipeline.AssertArchivedOnceAsync(jobId);

        var submission = pipeline.TheSubmission();
        Assert.NotNull(submission.PayloadsDeletedAt);
        string output = JsonDocument.Parse(submission.OutputJson!).RootElement.GetProperty("video").GetProperty("url").GetString()!;
        Assert.Contains(pipeline.Fal.State.StoredFiles, file => file.Deleted && output.Contains(file.Id, StringComparison.Ordinal));
        using var http = new HttpClient();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync(new Uri(output))).StatusCode);
    }

    [Fact]
    public async Task WithDeletionConfiguredOff_FalKeepsItsCopies()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, FalWithBilling(), Settings(("Money:DeleteFalPayloads", "false")));

        string jobId = await pipeline.StartJobAsync(Job("A lighthouse from the sea"));
        await pipeline.AssertArchivedOnceAsync(jobId);

        Assert.Null(pipeline.TheSubmission().PayloadsDeletedAt);
        Assert.Equal(0, pipeline.Fal.State.GetCount(RequestKind.DeletePayloads));
    }

    [Fact]
    public async Task ReferenceImages_AskFalsStorage_ToKeepThemOneDay()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);

        string jobId = await pipeline.StartJobAsync(Job("A lighthouse, painted"));
        await pipeline.AssertArchivedOnceAsync(jobId);

        var upload = Assert.Single(pipeline.Fal.State.StoredFiles, file => file.ContentType == "image/png");
        Assert.Equal(TimeSpan.FromDays(1), upload.ExpiresAt - upload.StoredAt);
    }

    private static async Task<JsonElement> BudgetAsync(Pipeline pipeline)
    {
        using var response = await pipeline.Http.GetAsync("/api/budget");
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }
}
