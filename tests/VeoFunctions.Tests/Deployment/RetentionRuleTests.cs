using System.Text.RegularExpressions;
using VeoFunctions.Money;
using VeoFunctions.Storage;

namespace VeoFunctions.Tests.Deployment;

/// <summary>
/// The storage lifecycle rule deletes staged images and nothing else: the job claims and the submission ledger in the
/// same container are what stop a replayed request from being billed twice, so they must outlive the job's history.
/// </summary>
public sealed partial class RetentionRuleTests
{
    [Fact]
    public void TheLifecycleRule_MatchesOnlyTheWorkContainersStagedPrefix()
    {
        string storage = Templates.Read("modules", "storage.bicep");
        int rule = storage.IndexOf("Microsoft.Storage/storageAccounts/managementPolicies", StringComparison.Ordinal);
        Assert.True(rule >= 0, "storage.bicep should keep the lifecycle rule.");

        var prefixes = PrefixMatch().Matches(storage[rule..]).SelectMany(m => m.Groups[1].Captures.Select(c => c.Value)).ToList();

        Assert.Equal(["${workContainerName}/" + ImageStaging.Prefix], prefixes);
        Assert.Single(PrefixMatch().Matches(storage)); // no second rule elsewhere
    }

    [Fact]
    public void TheRulesContainer_IsTheContainerTheAppUsesAsItsWorkContainer()
    {
        string main = Templates.Read("main.bicep");

        Assert.Matches(@"module storage [^\n]*\n(?:[^\n]*\n)*?\s*workContainerName: containers\.work\n", main);
        Assert.Matches(@"module functionApp [^\n]*\n(?:[^\n]*\n)*?\s*workContainerName: containers\.work\n", main);
    }

    [Theory]
    [InlineData("k0123456789abcdef")]
    [InlineData("0123456789abcdef0123456789abcdef")]
    public void ClaimsOldAndNew_LieOutsideTheStagedPrefix(string jobId)
    {
        Assert.DoesNotContain(ImageStaging.Prefix, JobClaims.BlobName(jobId), StringComparison.Ordinal);
        Assert.False(JobClaims.LegacyBlobName(jobId).StartsWith(ImageStaging.Prefix, StringComparison.Ordinal));
    }

    [Fact]
    public void TheJobIndex_LiesOutsideTheStagedPrefix()
    {
        Assert.False(JobIndex.EntryName("k0123456789abcdef", DateTimeOffset.UtcNow).StartsWith(ImageStaging.Prefix, StringComparison.Ordinal));
        Assert.False(JobIndex.BackfilledMarker.StartsWith(ImageStaging.Prefix, StringComparison.Ordinal));
    }

    // Each entry of a prefixMatch list: prefixMatch: [ '…' '…' ].
    [GeneratedRegex(@"prefixMatch:\s*\[\s*(?:'([^']*)'\s*)+\]")]
    private static partial Regex PrefixMatch();
}
