using System.Collections.Frozen;
using Azure.Storage.Blobs;

namespace VeoFunctions.Studio;

/// <summary>One of the Studio's files: its bytes and media type.</summary>
public sealed record StudioFile(string Name, string ContentType, ReadOnlyMemory<byte> Bytes);

/// <summary>
/// The Studio's static files (embedded from <c>Studio/wwwroot</c>), served by name from a fixed list, never by a path,
/// and the policy that holds the page to them: scripts, styles and API calls from the app itself only, no inline script,
/// no plug-ins, no framing. Videos play from the storage account's blob host (the download links the API hands out),
/// the one other origin the page may load from.
/// </summary>
public sealed class StudioFiles
{
    private const string ResourcePrefix = "VeoFunctions.Studio.wwwroot.";

    private static readonly FrozenDictionary<string, string> Types = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["studio.js"] = "text/javascript; charset=utf-8",
        ["studio.css"] = "text/css; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, StudioFile> _files;

    public StudioFiles(BlobServiceClient blobs)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        _files = Types.ToFrozenDictionary(t => t.Key, t => new StudioFile(t.Key, t.Value, Read(t.Key)), StringComparer.Ordinal);
        ContentSecurityPolicy = PolicyFor(blobs.Uri);
    }

    public string ContentSecurityPolicy { get; }

    public StudioFile? Find(string? name) => name is not null && _files.TryGetValue(name, out var file) ? file : null;

    /// <summary>The page's policy, with <paramref name="blobHost"/>'s origin as the only place media may come from besides the app.</summary>
    public static string PolicyFor(Uri blobHost)
    {
        ArgumentNullException.ThrowIfNull(blobHost);
        string media = blobHost.GetLeftPart(UriPartial.Authority);
        return "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob: data:; "
            + $"media-src 'self' {media}; form-action 'none'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'";
    }

    private static byte[] Read(string name)
    {
        using var stream = typeof(StudioFiles).Assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new InvalidOperationException($"The build embedded no Studio file {name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
