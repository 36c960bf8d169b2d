using System.Diagnostics.CodeAnalysis;

namespace VeoFunctions.Images;

/// <summary>
/// The outcome of <see cref="ImageInspector.Inspect(ReadOnlySpan{byte}, ImageOptions)"/>: either an
/// accepted <see cref="InspectedImage"/> or a one-sentence, user-facing reason. A result object rather
/// than an exception, because rejecting hostile input is the expected path, not an exceptional one.
/// </summary>
public sealed class ImageInspectionResult
{
    private ImageInspectionResult(InspectedImage? image, string? rejectionReason)
    {
        Image = image;
        RejectionReason = rejectionReason;
    }

    /// <summary>The accepted image, or <see langword="null"/> when rejected.</summary>
    public InspectedImage? Image { get; }

    /// <summary>One sentence that can be shown to the user as is, or <see langword="null"/> when accepted.</summary>
    public string? RejectionReason { get; }

    /// <summary>Whether the bytes are an acceptable PNG, JPEG or WebP image within the limits.</summary>
    [MemberNotNullWhen(true, nameof(Image))]
    [MemberNotNullWhen(false, nameof(RejectionReason))]
    public bool IsAccepted => Image is not null;

    /// <summary>Creates an accepted result.</summary>
    /// <param name="image">The inspected image.</param>
    /// <returns>The result.</returns>
    public static ImageInspectionResult Accepted(InspectedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new ImageInspectionResult(image, null);
    }

    /// <summary>Creates a rejected result.</summary>
    /// <param name="reason">One user-facing sentence.</param>
    /// <returns>The result.</returns>
    public static ImageInspectionResult Rejected(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new ImageInspectionResult(null, reason);
    }

    /// <inheritdoc />
    public override string ToString() => IsAccepted
        ? $"{Image.Format} {Image.Width}x{Image.Height}"
        : RejectionReason;
}
