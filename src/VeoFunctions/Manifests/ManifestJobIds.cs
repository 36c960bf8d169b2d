using System.Security.Cryptography;
using System.Text;

namespace VeoFunctions.Manifests;

/// <summary>
/// A manifest job's id, derived from the manifest blob's identity (container, name and ETag) and the job's own
/// <c>id</c> or position. A redelivered event, a retried trigger or an upload that fires several events yields the
/// same ids, so the job claims start each job once; a changed manifest has a new ETag, so its jobs are new.
/// </summary>
public static class ManifestJobIds
{
    public static string For(string container, string blobName, string etag, ManifestJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        string identity = $"{container}/{blobName}\n{etag}\n{(job.Id is { } id ? "id:" + id : "#" + job.Index.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
        return "m" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..31];
    }
}
