using System.Diagnostics.CodeAnalysis;
using VeoFunctions.Images;

namespace VeoFunctions.Callbacks;

/// <summary>
/// The early check on a job's <c>callback_url</c>, at the door, so a bad one is refused before anything is spent. A
/// callback is a request our servers make on a user's behalf, exactly like an image download, so it obeys the same
/// rules (<see cref="ImageUrlPolicy"/>: https unless <see cref="ImageOptions.AllowHttp"/>, no credentials in the URL,
/// no private, loopback, link-local or never-public host unless allow-listed). The connect-time check in
/// <see cref="CallbackSender"/> is what holds against DNS rebinding; this one exists to fail fast with a clear sentence.
/// </summary>
public static class CallbackUrlPolicy
{
    private const string Subject = "callback URL";

    /// <summary>Parses and checks a callback URL as the user gave it.</summary>
    /// <param name="value">The URL text.</param>
    /// <param name="options">The image rules, which callbacks share.</param>
    /// <param name="uri">The parsed URL when accepted.</param>
    /// <param name="reason">One user-facing sentence when refused.</param>
    /// <returns><see langword="true"/> when callbacks may be sent there.</returns>
    public static bool TryValidate(
        string? value,
        ImageOptions options,
        [NotNullWhen(true)] out Uri? uri,
        [NotNullWhen(false)] out string? reason) => ImageUrlPolicy.TryValidate(value, options, Subject, out uri, out reason);

    /// <summary>Checks an already parsed callback URL (the sender checks again before every attempt).</summary>
    /// <param name="uri">The URL.</param>
    /// <param name="options">The image rules, which callbacks share.</param>
    /// <param name="reason">One user-facing sentence when refused.</param>
    /// <returns><see langword="true"/> when callbacks may be sent there.</returns>
    public static bool TryValidate(Uri uri, ImageOptions options, [NotNullWhen(false)] out string? reason) =>
        ImageUrlPolicy.TryValidate(uri, options, Subject, out reason);
}
