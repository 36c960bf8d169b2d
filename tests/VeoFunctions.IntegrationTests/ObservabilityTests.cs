using System.Diagnostics.Metrics;
using FalEmulator;
using Microsoft.Extensions.Logging;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Telemetry;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// What an on-call engineer sees of one job: every line written while its activities and doors work on it carries its
/// id (and fal's, once known), expected ends are information and paid-and-lost ones errors, and the meter counts it.
/// The integration collection runs one test at a time, so the meter's listener hears only this test's jobs.
/// </summary>
[Collection(ProcessWideCollection.Name)]
public sealed class ObservabilityTests(Azurite azurite)
{
    [Fact]
    public async Task EveryLineOfAJobsActivitiesAndDoors_CarriesItsJobId_AndFalsRequestIdOnceKnown()
    {
        var logs = new CapturedLogs();
        await using var pipeline = await Pipeline.StartAsync(azurite, services: logs.AddTo);

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A heron, followed"));
        await pipeline.AssertArchivedOnceAsync(jobId);
        string requestId = pipeline.TheSubmission().RequestId;

        var uploaded = Assert.Single(logs.Lines, l => l.EventId.Id == 1101); // fal's storage client, inside UploadImageToFal
        Assert.Equal(jobId, uploaded.Scope[JobLogScope.JobId]);
        var archived = Assert.Single(logs.Lines, l => l.EventId.Id == 3001); // the archive, inside ArchiveVideo
        Assert.Equal((jobId, requestId), (archived.Scope[JobLogScope.JobId], archived.Scope[JobLogScope.FalRequestId]));
        var webhook = Assert.Single(logs.Lines, l => l.EventId.Id == 4003); // the webhook door
        Assert.Equal((jobId, requestId), (webhook.Scope[JobLogScope.JobId], webhook.Scope[JobLogScope.FalRequestId]));
        Assert.Contains(logs.Lines, l => l.EventId.Id == 5001 && l.Message.Contains(jobId, StringComparison.Ordinal)); // the orchestrator's phase lines
    }

    [Fact]
    public async Task AnExpectedEnd_IsLoggedAsInformation_WithoutAnException()
    {
        var logs = new CapturedLogs();
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.Fal(FaultRule.Generation(FaultKind.GenerationError)), services: logs.AddTo);

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A heron, refused"));
        await pipeline.WaitForJobAsync(jobId);

        var end = Assert.Single(logs.Lines, l => l.EventId.Id == 5003);
        Assert.Equal(LogLevel.Information, end.Level);
        Assert.Contains("FalFailed", end.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.Level >= LogLevel.Error && l.Category.StartsWith("VeoFunctions", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AJobPaidAndLost_IsLoggedAsAnError_NamingFalsRequest()
    {
        var logs = new CapturedLogs();
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.Fal(FaultRule.Generation(FaultKind.Stuck)),
            new Dictionary<string, string?> { ["Jobs:FirstStatusCheck"] = "00:00:01", ["Jobs:Deadline"] = "00:00:03" }, logs.AddTo);

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A heron, lost"));
        await pipeline.WaitForJobAsync(jobId);

        var lost = Assert.Single(logs.Lines, l => l.EventId.Id == 5004);
        Assert.Equal(LogLevel.Error, lost.Level);
        Assert.Contains("paid and lost", lost.Message, StringComparison.Ordinal);
        Assert.Contains(pipeline.TheSubmission().RequestId, lost.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheMeter_CountsTheJobsStartAndEnd_ItsSpend_AndFalsLatency()
    {
        var measured = new List<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == VeoMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            lock (measured)
            {
                measured.Add((instrument.Name, value, copy));
            }
        }

        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        await using var pipeline = await Pipeline.StartAsync(azurite, new EmulatorOptions { AdminKey = "admin:key" }, new Dictionary<string, string?> { ["Fal:AdminKey"] = "admin:key" });

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A heron, counted"));
        await pipeline.AssertArchivedOnceAsync(jobId);

        lock (measured)
        {
            Assert.Single(measured, m => m.Instrument == "veo.jobs.started" && (string?)m.Tags["door"] == "http");
            Assert.Single(measured, m => m.Instrument == "veo.jobs.ended" && (string?)m.Tags["outcome"] == "completed" && (string?)m.Tags["reason"] == "Completed");
            Assert.Equal(3.2, Assert.Single(measured, m => m.Instrument == "veo.spend.estimated").Value, 6);
            Assert.Equal(3.2, Assert.Single(measured, m => m.Instrument == "veo.spend.billed").Value, 6);
            Assert.True(Assert.Single(measured, m => m.Instrument == "veo.fal.latency" && (string?)m.Tags["phase"] == "total").Value > 0);
        }
    }
}
