namespace VeoFunctions.Images;

/// <summary>
/// The image formats Veo 3.1 reference images may use. fal does not document a format list, so only
/// the three formats every decoder in the pipeline is known to handle are admitted.
/// </summary>
public enum ImageFormat
{
    /// <summary>Portable Network Graphics.</summary>
    Png,

    /// <summary>JPEG (JFIF/Exif), baseline or progressive.</summary>
    Jpeg,

    /// <summary>Still (non-animated) WebP, lossy or lossless.</summary>
    WebP,
}
