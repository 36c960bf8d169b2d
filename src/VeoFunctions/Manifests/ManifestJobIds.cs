using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace VeoFunctions.Manifests;

/// <summary>
/// A manifest entry's job id: what the entry <em>is</em> — the manifest's container and name, the entry's own
/// <c>id</c> (or, without one, which of the identical id-less entries it is: its <see cref="ManifestJob.Occurrence"/>),
/// and the fingerprint of what it asks fal to make. Never the blob's ETag nor the entry's position: a metadata write,
/// the same bytes uploaded again, a delete and re-create, an entry inserted or removed, a new callback URL, all followed
/// by any redelivery, give the same ids, so the job claims start nothing twice; a changed entry has a new fingerprint,
/// so it alone is a new job. A fresh run of an unchanged entry is asked for with a new <c>id</c> (or <c>run</c>).
/// </summary>
public static class ManifestJobIds
{
    public static string For(string container, string blobName, ManifestJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        string place = job.Id is { } id ? "id:" + id : "same:" + job.Occurrence.ToString(CultureInfo.InvariantCulture);
        return Hash($"{container}/{blobName}\n{place}\n{job.Fingerprint}");
    }

    /// <summary>
    /// The id of the entry's attempt <paramref name="attempt"/> (0 is the entry's own job): a redrive of failed entries
    /// starts attempt n after n ended ones, so concurrent or retried redrives name the same job and its claim dedupes them.
    /// </summary>
    public static string AttemptFor(string entryJobId, int attempt) =>
        attempt == 0 ? entryJobId : Hash($"{entryJobId}\nattempt:{attempt.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>
    /// The id the release before this one gave the entry: its position and its canonical fingerprint with the batch's
    /// callback and priority. An unchanged manifest that release served still finds those jobs.
    /// </summary>
    public static string ByPositionFor(string container, string blobName, ManifestJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(job.Earlier);
        return Hash($"{container}/{blobName}\n{Place(job)}\n{job.Earlier.Canonical}");
    }

    /// <summary>
    /// The id the release before that gave the entry (from the blob's ETag at processing time). A delivery that release
    /// already served, redelivered after an upgrade, must find those jobs rather than pay again.
    /// </summary>
    public static string ByETagFor(string container, string blobName, string etag, ManifestJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return Hash($"{container}/{blobName}\n{etag}\n{Place(job)}");
    }

    private static string Place(ManifestJob job) => job.Id is { } id ? "id:" + id : "#" + job.Index.ToString(CultureInfo.InvariantCulture);

    private static string Hash(string identity) => "m" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..31];
}
