using VeoFunctions.Jobs;
using VeoFunctions.Manifests;

namespace VeoFunctions.Tests.Manifests;

public sealed class ManifestJobIdsTests
{
    private const string Container = "jobs", Name = "nightly/run.json", ETag = "\"0x8DC0FFEE\"";

    private static ManifestJob Job(int index, string? id = null, string fingerprint = "fingerprint") =>
        new(index, id, new VideoJobDraft(new VideoRequest("A fox"), []), fingerprint);

    [Fact]
    public void TheSameEntry_AlwaysGivesTheSameId_SoARedeliveryStartsNothingNew()
    {
        Assert.Equal(ManifestJobIds.For(Container, Name, Job(3)), ManifestJobIds.For(Container, Name, Job(3)));
        Assert.Equal(ManifestJobIds.For(Container, Name, Job(0, "clip")), ManifestJobIds.For(Container, Name, Job(0, "clip")));
    }

    [Fact]
    public void AChangedEntry_GetsANewId_AndOnlyIt()
    {
        Assert.NotEqual(ManifestJobIds.For(Container, Name, Job(0, "clip")), ManifestJobIds.For(Container, Name, Job(0, "clip", "another fingerprint")));
        Assert.NotEqual(ManifestJobIds.For(Container, Name, Job(0)), ManifestJobIds.For(Container, Name, Job(0, fingerprint: "another fingerprint")));
    }

    [Fact]
    public void EveryPartOfTheIdentity_Counts()
    {
        string[] ids =
        [
            ManifestJobIds.For(Container, Name, Job(0)),
            ManifestJobIds.For(Container, Name, Job(1)),
            ManifestJobIds.For(Container, "nightly/other.json", Job(0)),
            ManifestJobIds.For("jobs2", Name, Job(0)),
            ManifestJobIds.For(Container, Name, Job(0, "clip")),
            ManifestJobIds.For(Container, Name, Job(0, "clip2")),
            ManifestJobIds.For(Container, Name, Job(0, "0")), // an id that looks like a position is still an id
            ManifestJobIds.LegacyFor(Container, Name, ETag, Job(0, "clip")), // never one of the previous release's
        ];

        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public void AJobWithAnId_KeepsItsJobId_WhereverItStandsInTheManifest()
    {
        Assert.Equal(ManifestJobIds.For(Container, Name, Job(0, "clip")), ManifestJobIds.For(Container, Name, Job(7, "clip")));
    }

    [Fact]
    public void ThePreviousReleasesId_StillComesFromTheETag_SoItsJobsAreFoundAfterAnUpgrade()
    {
        Assert.Equal(ManifestJobIds.LegacyFor(Container, Name, ETag, Job(0, "clip")), ManifestJobIds.LegacyFor(Container, Name, ETag, Job(0, "clip", "another fingerprint")));
        Assert.NotEqual(ManifestJobIds.LegacyFor(Container, Name, ETag, Job(0)), ManifestJobIds.LegacyFor(Container, Name, "\"0x8DC0FFEF\"", Job(0)));
    }

    [Fact]
    public void TheId_IsAWellFormedJobId_ThatTheStatusUrlAccepts()
    {
        string id = ManifestJobIds.For(Container, Name, Job(0, "clip"));

        Assert.True(JobIds.IsWellFormed(id), id);
        Assert.Matches("^m[0-9a-f]{31}$", id); // "m": never an HTTP job's id (a GUID's 32 hex digits, or "k" for an Idempotency-Key)
    }
}
