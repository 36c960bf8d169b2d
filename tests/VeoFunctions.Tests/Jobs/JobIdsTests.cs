using VeoFunctions.Jobs;

namespace VeoFunctions.Tests.Jobs;

/// <summary>A salvage round's instance id names its job (activities log in the job's scope) and its round.</summary>
public sealed class JobIdsTests
{
    [Theory]
    [InlineData("abc123", "abc123", 0)]
    [InlineData("abc123-salvage", "abc123", 1)]
    [InlineData("abc123-salvage-2", "abc123", 2)]
    [InlineData("abc123-salvage-17", "abc123", 17)]
    [InlineData("abc123-salvage-1", "abc123-salvage-1", 0)] // round 1 has no number
    [InlineData("abc123-salvage-x", "abc123-salvage-x", 0)]
    public void AnInstanceId_NamesItsJob_AndItsSalvageRound(string instanceId, string jobId, int round) =>
        Assert.Equal((jobId, round), JobIds.JobOf(instanceId));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(9)]
    public void ARoundsId_IsReadBackAsThatRound(int round) =>
        Assert.Equal(("job7", round), JobIds.JobOf(JobIds.SalvageIdFor("job7", round)));
}
