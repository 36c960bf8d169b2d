using Veo.Cli.Rendering;

namespace Veo.Cli.Images;

/// <summary>
/// Turns each <c>--image</c> into what <c>image_urls</c> carries: a URL as given, a local file as a <c>data:</c>
/// URI after the checks the app would make anyway (exists, at most 8 MB, really PNG, JPEG or WebP by its bytes),
/// so a mistake is caught before a large upload. The app still judges every image in full.
/// </summary>
public static class ReferenceImages
{
    /// <summary>The app's default limit for one image (Images:MaxImageBytes), as fal documents for the model.</summary>
    public const long MaxImageBytes = 8 * 1024 * 1024;

    public static bool IsUrl(string image) =>
        image.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
        || image.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || image.StartsWith("data:", StringComparison.OrdinalIgnoreCase);

    /// <summary>The <c>image_urls</c> entry for <paramref name="image"/>; relative paths are taken from <paramref name="directory"/>.</summary>
    public static async Task<string> ToImageUrlAsync(string image, string directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (IsUrl(image))
        {
            return image;
        }

        var file = new FileInfo(Path.GetFullPath(image, directory));
        if (!file.Exists)
        {
            throw new UsageException($"--image {image}: no such file.");
        }

        if (file.Length == 0)
        {
            throw new UsageException($"--image {image}: the file is empty.");
        }

        if (file.Length > MaxImageBytes)
        {
            throw new UsageException($"--image {image}: {Readable.Bytes(file.Length)} is more than the {Readable.Bytes(MaxImageBytes)} an image may be.");
        }

        byte[] bytes = await File.ReadAllBytesAsync(file.FullName, cancellationToken).ConfigureAwait(false);
        var kind = ImageKind.Sniff(bytes)
            ?? throw new UsageException($"--image {image}: not a PNG, JPEG or WebP image (judged by its bytes, not its name).");
        return $"data:{kind.MediaType};base64,{Convert.ToBase64String(bytes)}";
    }
}
