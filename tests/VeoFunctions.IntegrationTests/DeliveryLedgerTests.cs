using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;
using VeoFunctions.Money;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// The delivery record where a job's end meets fal's deliveries, on real Azurite (real ETags): however a close and
/// many copies of a delivery interleave, the video is archived exactly once — by the job (its close returns the
/// delivery) or by one salvage run (every delivery after the close gets the same claim), never both, never neither.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeliveryLedgerTests(Azurite azurite) : IDisposable
{
    private static readonly JobTiming Timing = new(TimeSpan.FromSeconds(90), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(5), 6);
    private static readonly FalWebhookEvent Video = new("req-1", true, "https://cdn.example/v.mp4", "video/mp4", 1234, null);
    private static readonly FalWebhookEvent Failure = new("req-1", false, null, null, null, "fal reported the generation failed.");

    private readonly ServiceProvider _services = new ServiceCollection()
        .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:VideosContainer"] = $"ledger-v-{Guid.NewGuid():N}"[..30],
            ["Storage:WorkContainer"] = $"ledger-w-{Guid.NewGuid():N}"[..30],
            ["Fal:Key"] = "test-id:test-secret",
            ["Jobs:PublicBaseUrl"] = "http://127.0.0.1:9",
        }).Build())
        .AddLogging()
        .AddVeoFunctions()
        .BuildServiceProvider();

    private DeliveryLedger Ledger => _services.GetRequiredService<DeliveryLedger>();

    public void Dispose() => _services.Dispose();

    private static ArchivePlan Plan(string jobId) => new(jobId, new VideoRequest("A race"), 1, DateTimeOffset.UtcNow, Timing);

    [Fact]
    public async Task ManyDeliveriesRacingTheClose_ArchiveTheVideoExactlyOnce()
    {
        for (int round = 0; round < 6; round++)
        {
            string jobId = Guid.NewGuid().ToString("N");
            var plan = Plan(jobId);
            using var go = new ManualResetEventSlim();

            // Every writer starts at the same moment; the close is started in the middle of the deliveries.
            var deliveries = Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
            {
                go.Wait();
                return await Ledger.RecordAsync(jobId, Video, null, CancellationToken.None);
            })).ToList();
            var close = Task.Run(async () =>
            {
                go.Wait();
                return await Ledger.CloseWithoutVideoAsync(plan, CancellationToken.None);
            });
            go.Set();
            var claims = await Task.WhenAll(deliveries);
            var found = await close;

            if (found is not null)
            {
                // The job saw the delivery: it archives the video itself, and no salvage run may start.
                Assert.Equal(Video, found);
                Assert.All(claims, Assert.Null);
                Assert.Null(await Ledger.RecordAsync(jobId, Video, null, CancellationToken.None));
            }
            else
            {
                // The job closed first: every delivery names the one salvage run, with what it needs; exactly one won it.
                Assert.All(claims, claim => Assert.Equal((plan, Video), (claim!.Plan, claim.Delivered)));
                Assert.Single(claims, claim => claim!.Won);
                Assert.Equal(new SalvageClaim(plan, Video, Won: false), await Ledger.RecordAsync(jobId, Video, null, CancellationToken.None));
            }

            Assert.Equal(found, await Ledger.CloseWithoutVideoAsync(plan, CancellationToken.None)); // a second close agrees
        }
    }

    [Fact]
    public async Task ConcurrentResumesOfAFailedSalvageRound_ClaimTheNextRoundOnce_AndNoRoundBeyondIt()
    {
        string jobId = Guid.NewGuid().ToString("N");
        await Ledger.CloseWithoutVideoAsync(Plan(jobId), CancellationToken.None);
        Assert.True((await Ledger.RecordAsync(jobId, Video, null, CancellationToken.None))!.Won); // round 1
        using var go = new ManualResetEventSlim();

        var resumes = Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
        {
            go.Wait();
            return await Ledger.ClaimRoundAsync(jobId, 2, CancellationToken.None);
        })).ToList();
        go.Set();
        var claims = await Task.WhenAll(resumes);

        Assert.All(claims, claim => Assert.NotNull(claim));
        Assert.Single(claims, claim => claim!.Won);
        Assert.Equal(jobId, claims[0]!.Plan.JobId);
        Assert.Null(await Ledger.ClaimRoundAsync(jobId, 4, CancellationToken.None)); // a round is claimed only after the one before it
        Assert.Null(await Ledger.ClaimRoundAsync(Guid.NewGuid().ToString("N"), 2, CancellationToken.None)); // no first round, nothing to follow
    }

    [Fact]
    public async Task ACloseAfterADelivery_ReturnsIt_AndADeliveryAfterAClose_ClaimsTheSalvage()
    {
        string delivered = Guid.NewGuid().ToString("N");
        Assert.Null(await Ledger.RecordAsync(delivered, Video, null, CancellationToken.None));
        Assert.Equal(Video, await Ledger.CloseWithoutVideoAsync(Plan(delivered), CancellationToken.None));

        string closed = Guid.NewGuid().ToString("N");
        var plan = Plan(closed);
        Assert.Null(await Ledger.CloseWithoutVideoAsync(plan, CancellationToken.None));
        Assert.Equal(new SalvageClaim(plan, Video, Won: true), await Ledger.RecordAsync(closed, Video, null, CancellationToken.None));
    }

    [Fact]
    public async Task ACloseRunAgain_AfterADeliveryClaimedTheSalvage_LeavesTheVideoToTheSalvageRun()
    {
        // The job's close activity may run twice (a retry, a redelivered work item); a delivery can land in between.
        string jobId = Guid.NewGuid().ToString("N");
        var plan = Plan(jobId);
        Assert.Null(await Ledger.CloseWithoutVideoAsync(plan, CancellationToken.None));
        Assert.NotNull(await Ledger.RecordAsync(jobId, Video, null, CancellationToken.None));

        Assert.Null(await Ledger.CloseWithoutVideoAsync(plan, CancellationToken.None));
    }

    [Fact]
    public async Task ErrorDeliveries_NeverClaimASalvage_NorStopTheCloseOrALaterVideo()
    {
        string jobId = Guid.NewGuid().ToString("N");
        var plan = Plan(jobId);

        Assert.Null(await Ledger.RecordAsync(jobId, Failure, null, CancellationToken.None));
        Assert.Null(await Ledger.CloseWithoutVideoAsync(plan, CancellationToken.None)); // an error is no video to archive
        Assert.Null(await Ledger.RecordAsync(jobId, Failure, null, CancellationToken.None));
        Assert.Null(await Ledger.RecordAsync(jobId, Failure, plan, CancellationToken.None));
        Assert.Equal(new SalvageClaim(plan, Video, Won: true), await Ledger.RecordAsync(jobId, Video, null, CancellationToken.None));
    }

    [Fact]
    public async Task AJobOfTheFirstRelease_ThatNeverClosedItsRecord_IsClaimedByTheDeliveryThatSaysItEnded()
    {
        string jobId = Guid.NewGuid().ToString("N");
        var plan = Plan(jobId);

        var claims = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => Ledger.RecordAsync(jobId, Video, plan, CancellationToken.None))));

        Assert.All(claims, claim => Assert.Equal((plan, Video), (claim!.Plan, claim.Delivered)));
        Assert.Single(claims, claim => claim!.Won);
    }
}
