using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using FalEmulator;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Manifests;
using VeoFunctions.Money;
using VeoFunctions.Storage;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// The daily budget on real storage: reservations under ETag concurrency in Azurite never overshoot, a refusal starts
/// nothing at fal (both doors), and a job that ends without being billed gives its reservation back.
/// </summary>
[Collection(BatchesCollection.Name)]
public sealed class BudgetTests(Azurite azurite, Xunit.Abstractions.ITestOutputHelper output)
{
    // The default job: 8 s of 720p with audio, $3.20.
    private const decimal JobUsd = 3.20m;

    private const string AdminKey = "admin-id:admin-secret";

    // fal's billing readable, and asked for a short while: silence past the horizon proves a job unbilled.
    private static readonly (string, string?)[] WithBilling =
        [("Fal:AdminKey", AdminKey), ("Money:BillingFirstRecheck", "00:00:00.300"), ("Money:BillingHorizon", "00:00:02")];

    private static Dictionary<string, string?> Budget(decimal usd, params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Money:DailyBudgetUsd"] = usd.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact]
    public async Task FiftyConcurrentReservations_FromFiftyProcesses_AgainstABudgetOfTen_ReserveExactlyTen()
    {
        var day = new DateOnly(2026, 8, 20);
        var storage = new BudgetStorage(azurite, 10 * JobUsd);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() =>
            storage.Process().ReserveAsync(day, [($"job{i}", JobUsd)], CancellationToken.None))));

        Assert.Equal(10, outcomes.Count(o => o.Reserved));
        var snapshot = await storage.Process().ReadAsync(day, CancellationToken.None);
        Assert.Equal((10 * JobUsd, 0m, 10), (snapshot.ReservedUsd, snapshot.RemainingUsd!.Value, snapshot.Jobs));
    }

    [Fact]
    public async Task TwoHundredConcurrentReservations_OnFourInstances_WithRoomForOneHundredFifty_ReserveExactlyThat_EachForAFewStorageRequests()
    {
        // Every one that fits must write the day: the most contended case. Four instances of the app, each writing for
        // the starts it serves together.
        var day = new DateOnly(2026, 8, 21);
        var storage = new BudgetStorage(azurite, 150 * JobUsd);
        var instances = Enumerable.Range(0, 4).Select(_ => storage.Process()).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() =>
            instances[i % 4].ReserveAsync(day, [($"job{i}", JobUsd)], CancellationToken.None, holder: $"start{i}"))));

        clock.Stop();
        var snapshot = await storage.Process().ReadAsync(day, CancellationToken.None);
        Assert.Equal(150, outcomes.Count(o => o.Reserved));
        Assert.Equal((150 * JobUsd, 0m, 150), (snapshot.ReservedUsd, snapshot.RemainingUsd!.Value, snapshot.Jobs));
        double perStart = storage.Requests / 200.0;
        output.WriteLine(FormattableString.Invariant($"200 concurrent reservations on 4 instances, room for 150: {clock.Elapsed.TotalSeconds:0.0} s, {200 / clock.Elapsed.TotalSeconds:0.0} reservations/s, {perStart:0.0} storage requests per start"));
        Assert.True(perStart <= MaxRequestsPerStart, FormattableString.Invariant($"{perStart:0.0} storage requests per start: the writers retried against each other instead of sharing their writes."));
    }

    [Fact]
    public async Task ADayOfFiveThousandJobs_ReservedAndSettled_CostsAsFewStorageRequestsAndBytesPerJobAtItsEndAsAtItsStart()
    {
        const int Jobs = 5000, Wave = 200;
        var day = new DateOnly(2026, 8, 22);
        var storage = new BudgetStorage(azurite, Jobs * JobUsd);
        var instances = Enumerable.Range(0, 2).Select(_ => storage.Process()).ToList();
        var waves = new List<(double Requests, double Bytes)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        for (int first = 0; first < Jobs; first += Wave)
        {
            var (requests, bytes) = (storage.Requests, storage.Bytes);
            await Task.WhenAll(Enumerable.Range(first, Wave).Select(i => Task.Run(async () =>
            {
                var budget = instances[i % 2];
                Assert.True((await budget.ReserveAsync(day, [($"job{i}", JobUsd)], CancellationToken.None, holder: $"start{i}")).Reserved);
                await budget.SettleAsync(day, $"job{i}", JobUsd, 3.10m, billed: true, CancellationToken.None);
            })));
            waves.Add(((storage.Requests - requests) / (double)Wave, (storage.Bytes - bytes) / (double)Wave));
        }

        clock.Stop();
        var snapshot = await storage.Process().ReadAsync(day, CancellationToken.None);
        Assert.Equal((0m, Jobs * 3.10m, Jobs), (snapshot.ReservedUsd, snapshot.SpentUsd, snapshot.Jobs));
        var (firstWave, lastWave) = (waves[0], waves[^1]);
        output.WriteLine(FormattableString.Invariant(
            $"{Jobs} jobs reserved and settled, {Wave} at a time on 2 instances: {clock.Elapsed.TotalSeconds:0.0} s, {Jobs / clock.Elapsed.TotalSeconds:0.0} jobs/s; per job (reserve + settle) {firstWave.Requests:0.0} requests / {firstWave.Bytes:0} bytes in the first wave, {lastWave.Requests:0.0} / {lastWave.Bytes:0} in the last; {storage.Requests / (double)Jobs:0.0} requests per job over the day"));
        Assert.All(waves, wave => Assert.True(wave.Requests <= 2 * MaxRequestsPerStart, FormattableString.Invariant($"{wave.Requests:0.0} requests per job in a wave")));
        Assert.True(lastWave.Bytes <= 2 * firstWave.Bytes + 1024, FormattableString.Invariant($"Each job moved {lastWave.Bytes:0} bytes at the day's end against {firstWave.Bytes:0} at its start: the storage work grows with the day."));
    }

    // A start's own row read, its share of its group's totals read and transaction, and a retry now and then when
    // another instance wrote the day first. The blob-per-day design needed a retry per concurrent rival.
    private const double MaxRequestsPerStart = 6;

    [Fact]
    public async Task FiftyConcurrentStarts_AgainstABudgetOfTenJobs_StartExactlyTen_AndNothingElseReachesFal()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: Budget(10 * JobUsd));

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            using var response = await pipeline.PostJobAsync(PipelineProbes.Job($"A swallow, take {i}"));
            return (response.StatusCode, Body: JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
        }));

        Assert.Equal(10, answers.Count(a => a.StatusCode == HttpStatusCode.Accepted));
        Assert.Equal(40, answers.Count(a => a.StatusCode == HttpStatusCode.PaymentRequired));
        Assert.All(answers.Where(a => a.StatusCode == HttpStatusCode.PaymentRequired), a => Assert.EndsWith("/over-budget", a.Body.Text("type"), StringComparison.Ordinal));
        foreach (var started in answers.Where(a => a.StatusCode == HttpStatusCode.Accepted))
        {
            Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(started.Body.Text("jobId")!)).RuntimeStatus);
        }

        Assert.Equal(10, pipeline.Fal.State.GetCount(RequestKind.Submit));
        var budget = await BudgetAsync(pipeline);
        Assert.Equal(10 * JobUsd, budget.GetProperty("spentUsd").GetDecimal() + budget.GetProperty("reservedUsd").GetDecimal());
        Assert.Equal(0m, budget.GetProperty("remainingUsd").GetDecimal());
    }

    [Fact]
    public async Task FiftyKeys_StartedConcurrently_WithClientsThatDisconnectAndRetry_AgainstRoomForTen_StartTenAndNeverPassTheBudget()
    {
        // Each key is retried until it gets an answer; a retry within a minute of a dead start would wait out the
        // abandoned claim, which is what the generous cap allows for.
        var answerCap = Patience.Job;
        var disconnects = new Disconnects();
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: Budget(10 * JobUsd), services: disconnects.Into(azurite));
        using var stopWatching = new CancellationTokenSource();
        decimal mostCommitted = 0;
        var watcher = Task.Run(async () =>
        {
            while (!stopWatching.IsCancellationRequested)
            {
                var budget = await BudgetAsync(pipeline);
                mostCommitted = Math.Max(mostCommitted, budget.GetProperty("spentUsd").GetDecimal() + budget.GetProperty("reservedUsd").GetDecimal());
                await Task.Delay(20); // a sampling interval, not a wait for a condition
            }
        });

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => StartUntilAnsweredAsync(pipeline, disconnects, $"swallow-{i}", PipelineProbes.Job($"A swallow, take {i}"), new Random(i), answerCap))));
        var started = answers.Where(a => a.Status == HttpStatusCode.Accepted).Select(a => a.JobId!).Distinct().ToList();
        foreach (string jobId in started)
        {
            await pipeline.WaitForJobAsync(jobId);
        }

        await stopWatching.CancelAsync();
        await watcher;
        Assert.True(disconnects.Cuts > 0, "No client was cut while its start staged or marked its claim.");
        Assert.Equal((10, 40), (started.Count, answers.Count(a => a.Status == HttpStatusCode.PaymentRequired)));
        Assert.Equal(10, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.True(mostCommitted <= 10 * JobUsd, $"The day's spent + reserved reached {mostCommitted} USD against a budget of {10 * JobUsd} USD.");
        var day = await BudgetAsync(pipeline);
        Assert.Equal(10 * JobUsd, day.GetProperty("spentUsd").GetDecimal() + day.GetProperty("reservedUsd").GetDecimal());
    }

    // Where a client's connection is cut: at a random moment, or the moment its start stages the job's image (after the
    // reservation, before the schedule call) or marks its claim started (after the schedule call): the two windows the
    // budget once leaked through. The policy sits in the app's storage client and cuts the client whose job id a write
    // names, then lets the write take a moment, as a slow one would, so the start sees its request aborted mid-write.
    private enum Cut { Never, Randomly, WhileStaging, WhileMarkingStarted }

    private sealed class Disconnects : Azure.Core.Pipeline.HttpPipelinePolicy
    {
        private static readonly TimeSpan Slowness = TimeSpan.FromMilliseconds(300);

        public System.Collections.Concurrent.ConcurrentDictionary<string, (Cut At, CancellationTokenSource Client)> Armed { get; } = new();

        public int Cuts;

        public Action<Microsoft.Extensions.DependencyInjection.IServiceCollection> Into(Azurite azurite) => services =>
        {
            var options = new BlobClientOptions();
            options.AddPolicy(this, Azure.Core.HttpPipelinePosition.PerCall);
            services.AddSingleton(new BlobServiceClient(azurite.ConnectionString, options));
        };

        public override void Process(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline) =>
            ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            string path = message.Request.Uri.Path;
            var at = path.Contains("/staged/", StringComparison.Ordinal) ? Cut.WhileStaging
                : path.Contains("/claims/", StringComparison.Ordinal) && message.Request.Headers.Contains("If-Match") ? Cut.WhileMarkingStarted
                : Cut.Never;
            if (message.Request.Method == Azure.Core.RequestMethod.Put && at != Cut.Never
                && Armed.FirstOrDefault(entry => path.Contains(entry.Key, StringComparison.Ordinal)) is { Key: { } jobId, Value: var armed } && armed.At == at
                && Armed.TryRemove(new(jobId, armed)))
            {
                Interlocked.Increment(ref Cuts);
                await armed.Client.CancelAsync();
                try
                {
                    await Task.Delay(Slowness, message.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // The start saw its request aborted.
                }
            }

            await ProcessNextAsync(message, pipeline);
        }
    }

    // A client that gives up on some of its tries at a random moment (its connection is cut, so the start sees its
    // request aborted) and sends the same key again until it is answered: 202 or 402, after any 409 "in progress".
    private static async Task<(HttpStatusCode Status, string? JobId)> StartUntilAnsweredAsync(Pipeline pipeline, Disconnects disconnects, string key, object job, Random random, TimeSpan cap)
    {
        var giveUpAt = DateTime.UtcNow + cap;
        string jobId = VeoFunctions.Jobs.JobScheduler.JobIdFor(key);
        for (int attempt = 0; DateTime.UtcNow < giveUpAt; attempt++)
        {
            using var cut = new CancellationTokenSource();
            var at = attempt < 4 ? (Cut)random.Next(4) : Cut.Never;
            if (at == Cut.Randomly)
            {
                cut.CancelAfter(TimeSpan.FromMilliseconds(random.Next(0, 900)));
            }
            else if (at != Cut.Never)
            {
                disconnects.Armed[jobId] = (at, cut);
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/videos") { Content = System.Net.Http.Json.JsonContent.Create(job) };
            request.Headers.Add("Idempotency-Key", key);
            try
            {
                using var response = await pipeline.Http.SendAsync(request, cut.Token);
                string text = await response.Content.ReadAsStringAsync(cut.Token);
                if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.PaymentRequired)
                {
                    return (response.StatusCode, response.StatusCode == HttpStatusCode.Accepted ? JsonDocument.Parse(text).RootElement.Text("jobId") : null);
                }

                Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"Key {key}: {(int)response.StatusCode} {text}");
                await Task.Delay(TimeSpan.FromMilliseconds(250)); // the client's back-off the 409's Retry-After asks for
            }
            catch (OperationCanceledException) when (cut.IsCancellationRequested)
            {
                // Disconnected: try the same key again.
            }
            finally
            {
                disconnects.Armed.TryRemove(jobId, out _);
            }
        }

        throw new TimeoutException($"Key {key} got no answer within {cap}.");
    }

    [Fact]
    public async Task AJobFalRefusesAtSubmit_GivesItsReservationBack()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.Fal(FaultRule.SubmitValidationError("prompt", "Prompt contains a forbidden word")), Budget(100));

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A forbidden swallow"));
        await pipeline.WaitForJobAsync(jobId);

        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal(("failed", "notBilled"), (status.Text("phase"), status.GetProperty("cost").Text("billing")));
        await AssertNothingReservedOrSpentAsync(pipeline);
    }

    [Fact]
    public async Task AJobFalFailsWithA5xx_GivesItsReservationBack_OnlyOnceFalsBillingStayedSilentPastTheHorizon()
    {
        var fal = PipelineProbes.Fal(FaultRule.Generation(FaultKind.RunnerDisconnected));
        fal.AdminKey = AdminKey;
        await using var pipeline = await Pipeline.StartAsync(azurite, fal, Budget(100, WithBilling));

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A swallow, disconnected"));
        await pipeline.WaitForJobAsync(jobId);

        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal(("failed", "notBilled"), (status.Text("phase"), status.GetProperty("cost").Text("billing")));
        Assert.False(pipeline.TheSubmission().Billed);
        Assert.True(pipeline.Fal.State.GetCount(RequestKind.BillingEvents) >= 2, "fal's error text was taken as proof: its billing was asked once only.");
        await AssertNothingReservedOrSpentAsync(pipeline);
    }

    [Fact]
    public async Task AJobFalFailsWithA5xx_WithoutFalsBillingToConfirmIt_IsPossiblyBilled_CountsAsSpent_AndIsLoggedPaidAndLost()
    {
        var logs = new CapturedLogs();
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.Fal(FaultRule.Generation(FaultKind.RunnerDisconnected)), Budget(100), logs.AddTo);

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A swallow, disconnected, unconfirmed"));
        await pipeline.WaitForJobAsync(jobId);

        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal(("failed", "possiblyBilled"), (status.Text("phase"), status.GetProperty("cost").Text("billing")));
        await AssertSpentAtTheEstimateAsync(pipeline);
        Assert.Contains(logs.Lines, line => line.Level == Microsoft.Extensions.Logging.LogLevel.Error && line.Message.Contains("paid and lost", StringComparison.Ordinal) && line.Message.Contains(jobId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ALostSubmitNeverFound_IsPossiblyBilled_CountsAsSpent_AndIsLoggedPaidAndLost()
    {
        // fal accepts the submit and the answer is lost; its webhook is dropped and its request list cannot be read.
        var logs = new CapturedLogs();
        var fal = PipelineProbes.Fal(FaultRule.SubmitAcceptedThenHttpError(500, includeRequestIdHeader: true), FaultRule.Generation(FaultKind.WebhookDrop),
            FaultRule.CallHttpError(RequestKind.PlatformRequests, 403, count: null));
        await using var pipeline = await Pipeline.StartAsync(azurite, fal,
            Budget(100, ("Jobs:Deadline", "00:00:01"), ("Jobs:MaxGenerationTime", "00:00:01"), ("Jobs:FirstStatusCheck", "00:00:00.300"), ("Jobs:MaxStatusCheckInterval", "00:00:00.500")),
            logs.AddTo);

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A swallow, lost at submit"));
        await pipeline.WaitForJobAsync(jobId);

        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal(("failed", "possiblyBilled"), (status.Text("phase"), status.GetProperty("cost").Text("billing")));
        Assert.DoesNotContain("Nothing was billed", status.GetProperty("cost").Text("note"), StringComparison.Ordinal);
        await Poll.UntilAsync(() => pipeline.TheSubmission().Billed, Patience.Job, "fal to finish and bill the lost request");
        await AssertSpentAtTheEstimateAsync(pipeline);
        Assert.Contains(logs.Lines, line => line.Level == Microsoft.Extensions.Logging.LogLevel.Error && line.Message.Contains("paid and lost", StringComparison.Ordinal) && line.Message.Contains(jobId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AJobCancelledWhileQueuedAtFal_GivesItsReservationBack()
    {
        var clock = PipelineProbes.Clock();
        var fal = PipelineProbes.OnClock(clock, TimeSpan.FromMinutes(1));
        fal.QueueTime = TimeSpan.FromMinutes(10);
        fal.AdminKey = AdminKey;
        await using var pipeline = await Pipeline.StartAsync(azurite, fal, Budget(100, [("Jobs:CancelGrace", "00:01:00"), .. WithBilling]));
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A swallow in the queue"));
        await Poll.UntilAsync(() => pipeline.Fal.State.Submissions.Count == 1);

        using var cancel = await pipeline.Http.PostAsync($"/api/videos/{jobId}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await pipeline.WaitForJobAsync(jobId);

        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal(("cancelled", "notBilled"), (status.Text("phase"), status.GetProperty("cost").Text("billing")));
        await AssertNothingReservedOrSpentAsync(pipeline);
    }

    [Fact]
    public async Task AManifestOverTheBudget_GetsAnErrorFileSayingSo_AndStartsNothing()
    {
        string jobsContainer = $"jobs-{Guid.NewGuid():N}"[..30];
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: Budget(2 * JobUsd, ("Storage:JobsContainer", jobsContainer)));
        var jobs = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(jobsContainer);
        await jobs.CreateIfNotExistsAsync();
        string image = TestImages.DataUri(TestImages.Png());
        var manifest = new { jobs = Enumerable.Range(0, 3).Select(i => new { id = $"shot-{i}", prompt = $"A swallow, shot {i}", image_urls = new[] { image } }) };
        await jobs.GetBlobClient("batch/three.json").UploadAsync(BinaryData.FromObjectAsJson(manifest));
        var intake = pipeline.Functions.Services.GetRequiredService<ManifestIntake>();

        var outcome = await intake.AcceptAsync(pipeline.Client, jobsContainer, "batch/three.json", CancellationToken.None);

        Assert.Equal(ManifestIntakeOutcome.Rejected, outcome);
        var errors = JsonDocument.Parse((await jobs.GetBlobClient(ManifestFiles.ErrorName("batch/three.json")).DownloadContentAsync()).Value.Content.ToString()).RootElement;
        var problem = Assert.Single(errors.GetProperty("problems").EnumerateArray());
        Assert.Equal("budget", problem.Text("field"));
        Assert.Contains("9.60 USD", problem.Text("reason"), StringComparison.Ordinal);
        Assert.False(await jobs.GetBlobClient(ManifestFiles.ResultName("batch/three.json")).ExistsAsync());
        Assert.Empty(pipeline.Fal.State.Submissions);
        await AssertNothingReservedOrSpentAsync(pipeline);
    }

    [Fact]
    public async Task AManifestThatFits_ReservesItsJobsOnce_EvenWhenItsEventIsDeliveredAgain()
    {
        string jobsContainer = $"jobs-{Guid.NewGuid():N}"[..30];
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: Budget(2 * JobUsd, ("Storage:JobsContainer", jobsContainer)));
        var jobs = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(jobsContainer);
        await jobs.CreateIfNotExistsAsync();
        var manifest = new[] { new { prompt = "A swallow, alone", image_urls = new[] { TestImages.DataUri(TestImages.Png()) } } };
        await jobs.GetBlobClient("one.json").UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(manifest))));
        var intake = pipeline.Functions.Services.GetRequiredService<ManifestIntake>();

        Assert.Equal(ManifestIntakeOutcome.Started, await intake.AcceptAsync(pipeline.Client, jobsContainer, "one.json", CancellationToken.None));
        Assert.Equal(ManifestIntakeOutcome.Started, await intake.AcceptAsync(pipeline.Client, jobsContainer, "one.json", CancellationToken.None));

        var result = JsonDocument.Parse((await jobs.GetBlobClient(ManifestFiles.ResultName("one.json")).DownloadContentAsync()).Value.Content.ToString()).RootElement;
        var job = Assert.Single(result.GetProperty("jobs").EnumerateArray());
        Assert.Equal(JobUsd, job.GetProperty("cost").GetProperty("estimatedUsd").GetDecimal());
        var budget = await BudgetAsync(pipeline);
        Assert.Equal(JobUsd, budget.GetProperty("reservedUsd").GetDecimal() + budget.GetProperty("spentUsd").GetDecimal());
        Assert.Equal(1, budget.GetProperty("jobs").GetInt32());
    }

    private static async Task AssertSpentAtTheEstimateAsync(Pipeline pipeline)
    {
        var budget = await BudgetAsync(pipeline);
        Assert.Equal((0m, JobUsd), (budget.GetProperty("reservedUsd").GetDecimal(), budget.GetProperty("spentUsd").GetDecimal()));
    }

    private static async Task AssertNothingReservedOrSpentAsync(Pipeline pipeline)
    {
        var budget = await BudgetAsync(pipeline);
        Assert.Equal((0m, 0m), (budget.GetProperty("reservedUsd").GetDecimal(), budget.GetProperty("spentUsd").GetDecimal()));
        Assert.Equal(budget.GetProperty("budgetUsd").GetDecimal(), budget.GetProperty("remainingUsd").GetDecimal());
    }

    private static async Task<JsonElement> BudgetAsync(Pipeline pipeline)
    {
        using var response = await pipeline.Http.GetAsync("/api/budget");
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }
}
