using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace VeoFunctions.Manifests;

/// <summary>
/// A manifest entry's job id: what the entry <em>is</em> — the manifest's container and name, the entry's own
/// <c>id</c> (or its position when it has none), and the fingerprint of its content with the batch defaults it takes.
/// Never the blob's ETag: a metadata write, the same bytes uploaded again, a delete and re-create, all followed by any
/// redelivery, give the same ids, so the job claims start nothing twice; a changed entry has a new fingerprint, so it
/// alone is a new job. A fresh run of an unchanged entry is asked for with a new <c>id</c> (or <c>run</c>).
/// </summary>
public static class ManifestJobIds
{
    public static string For(string container, string blobName, ManifestJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        string place = job.Id is { } id ? "id:" + id : "#" + job.Index.ToString(CultureInfo.InvariantCulture);
        return Hash($"{container}/{blobName}\n{place}\n{job.Fingerprint}");
    }

    /// <summary>
    /// The id the previous release gave the entry (from the blob's ETag at processing time). A delivery that the
    /// previous release already served, redelivered after an upgrade, must find those jobs rather than pay again.
    /// </summary>
    public static string LegacyFor(string container, string blobName, string etag, ManifestJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return Hash($"{container}/{blobName}\n{etag}\n{(job.Id is { } id ? "id:" + id : "#" + job.Index.ToString(CultureInfo.InvariantCulture))}");
    }

    private static string Hash(string identity) => "m" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..31];
}
