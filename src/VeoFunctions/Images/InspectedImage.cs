namespace VeoFunctions.Images;

/// <summary>
/// What <see cref="ImageInspector"/> learned from an image's bytes. The format always comes from the
/// bytes, never from a file name or a declared content type, because both are under the caller's control.
/// </summary>
/// <param name="Format">The format detected from the magic bytes and confirmed by decoding the header.</param>
/// <param name="Width">Width in pixels, read from the format's own header.</param>
/// <param name="Height">Height in pixels, read from the format's own header.</param>
public sealed record InspectedImage(ImageFormat Format, int Width, int Height)
{
    /// <summary>The MIME type to declare when uploading the bytes (for example to fal storage).</summary>
    public string ContentType => Format switch
    {
        ImageFormat.Png => "image/png",
        ImageFormat.Jpeg => "image/jpeg",
        _ => "image/webp",
    };

    /// <summary>A file extension (with dot) matching the real format, for naming uploads.</summary>
    public string FileExtension => Format switch
    {
        ImageFormat.Png => ".png",
        ImageFormat.Jpeg => ".jpg",
        _ => ".webp",
    };

    /// <summary>
    /// Tells whether a declared content type (an HTTP <c>Content-Type</c> or a data: URI media type,
    /// parameters allowed) agrees with the real format. A mismatch is not a reason to refuse the image,
    /// since the bytes are authoritative, but it is worth logging and never worth trusting.
    /// </summary>
    /// <param name="declaredContentType">The declared type, for example <c>image/jpeg; charset=binary</c>.</param>
    /// <returns><see langword="true"/> when the declared type names the detected format.</returns>
    public bool MatchesContentType(string? declaredContentType)
    {
        if (string.IsNullOrWhiteSpace(declaredContentType))
        {
            return false;
        }

        var mediaType = declaredContentType.AsSpan();
        int semicolon = mediaType.IndexOf(';');
        if (semicolon >= 0)
        {
            mediaType = mediaType[..semicolon];
        }

        mediaType = mediaType.Trim();
        return mediaType.Equals(ContentType, StringComparison.OrdinalIgnoreCase)
            || (Format == ImageFormat.Jpeg && mediaType.Equals("image/jpg", StringComparison.OrdinalIgnoreCase));
    }
}
