using System.Text.Json;
using VeoFunctions.Jobs;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Jobs;

/// <summary>Phases on the wire and in durable state: lower case, as the status document's phase names them.</summary>
public sealed class JobPhaseJsonTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private static readonly DateTimeOffset At = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void TheTimeline_NamesPhasesAsThePhaseFieldDoes()
    {
        var status = new JobStatus("job1", "queued", At, At, null, null, null, null, [new PhaseChange(JobPhase.Validating, At), new PhaseChange(JobPhase.Queued, At)]);

        var json = JsonSerializer.SerializeToElement(status, Web);

        Assert.Equal(["validating", "queued"], json.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("phase").GetString()));
    }

    [Fact]
    public void ProgressWrittenByAnEarlierRelease_InPascalCase_StillReads()
    {
        var progress = FakeDurableClient.Converter.Deserialize<JobProgress>("""{"Phase":"Generating","Timeline":[{"Phase":"Queued","At":"2026-03-01T12:00:00+00:00"}]}""");

        Assert.Equal(JobPhase.Generating, progress!.Phase);
        Assert.Equal(JobPhase.Queued, Assert.Single(progress.Timeline!).Phase);
        Assert.Contains("\"generating\"", FakeDurableClient.Converter.Serialize(progress), StringComparison.Ordinal);
    }
}
