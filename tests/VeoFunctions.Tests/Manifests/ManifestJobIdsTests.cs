using System.Security.Cryptography;
using System.Text;
using VeoFunctions.Jobs;
using VeoFunctions.Manifests;

namespace VeoFunctions.Tests.Manifests;

public sealed class ManifestJobIdsTests
{
    private const string Container = "jobs", Name = "nightly/run.json", ETag = "\"0x8DC0FFEE\"";

    private static ManifestJob Job(int index, string? id = null, string fingerprint = "fingerprint", int occurrence = 0, string canonical = "canonical") =>
        new(index, id, new VideoJobDraft(new VideoRequest("A fox"), []), fingerprint, occurrence, new EarlierFingerprints(canonical, "raw"));

    /// <summary>How the deployed releases hashed an identity into a job id.</summary>
    private static string Deployed(string identity) => "m" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..31];

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
    public void AnEntryWithoutAnId_KeepsItsJobId_WhereverItStands_AndItsTwinsAreTheirOwnJobs()
    {
        // An entry inserted or removed before it moves it, and changes nothing of what it is.
        Assert.Equal(ManifestJobIds.For(Container, Name, Job(0)), ManifestJobIds.For(Container, Name, Job(5)));

        // Two identical id-less entries are two jobs: the first and the second of their kind.
        Assert.NotEqual(ManifestJobIds.For(Container, Name, Job(0, occurrence: 0)), ManifestJobIds.For(Container, Name, Job(1, occurrence: 1)));
    }

    [Fact]
    public void EveryPartOfTheIdentity_Counts()
    {
        string[] ids =
        [
            ManifestJobIds.For(Container, Name, Job(0)),
            ManifestJobIds.For(Container, Name, Job(0, occurrence: 1)),
            ManifestJobIds.For(Container, "nightly/other.json", Job(0)),
            ManifestJobIds.For("jobs2", Name, Job(0)),
            ManifestJobIds.For(Container, Name, Job(0, "clip")),
            ManifestJobIds.For(Container, Name, Job(0, "clip2")),
            ManifestJobIds.For(Container, Name, Job(0, "0")), // an id that looks like an occurrence is still an id
            ManifestJobIds.AttemptFor(ManifestJobIds.For(Container, Name, Job(0)), 1),
            ManifestJobIds.AttemptFor(ManifestJobIds.For(Container, Name, Job(0)), 2),
            ManifestJobIds.ByPositionFor(Container, Name, Job(0)), // never one of the earlier releases'
            ManifestJobIds.ByETagFor(Container, Name, ETag, Job(0, "clip")),
        ];

        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public void AnAttempt_IsTheSameIdForEveryRedrive_AndTheFirstIsTheEntrysOwnJob()
    {
        string own = ManifestJobIds.For(Container, Name, Job(0));

        Assert.Equal(own, ManifestJobIds.AttemptFor(own, 0));
        Assert.Equal(ManifestJobIds.AttemptFor(own, 1), ManifestJobIds.AttemptFor(own, 1));
        Assert.True(JobIds.IsWellFormed(ManifestJobIds.AttemptFor(own, 1)));
    }

    [Fact]
    public void TheEarlierReleasesIds_AreComputedExactlyAsThoseReleasesDid()
    {
        // By position, with the canonical fingerprint that took the batch's callback and priority in (the release before this).
        Assert.Equal(Deployed($"{Container}/{Name}\n#3\ncanonical"), ManifestJobIds.ByPositionFor(Container, Name, Job(3)));
        Assert.Equal(Deployed($"{Container}/{Name}\nid:clip\ncanonical"), ManifestJobIds.ByPositionFor(Container, Name, Job(3, "clip")));

        // By the blob's ETag at processing time (the release before that).
        Assert.Equal(Deployed($"{Container}/{Name}\n{ETag}\n#3"), ManifestJobIds.ByETagFor(Container, Name, ETag, Job(3)));
        Assert.Equal(Deployed($"{Container}/{Name}\n{ETag}\nid:clip"), ManifestJobIds.ByETagFor(Container, Name, ETag, Job(3, "clip", "another fingerprint")));
    }

    [Fact]
    public void TheId_IsAWellFormedJobId_ThatTheStatusUrlAccepts()
    {
        string id = ManifestJobIds.For(Container, Name, Job(0, "clip"));

        Assert.True(JobIds.IsWellFormed(id), id);
        Assert.Matches("^m[0-9a-f]{31}$", id); // "m": never an HTTP job's id (a GUID's 32 hex digits, or "k" for an Idempotency-Key)
    }
}
