namespace VeoFunctions.Images;

/// <summary>
/// Renders URLs for logs and user messages without their query string (SAS tokens and signed-URL
/// signatures live there) or user info, and without unbounded length.
/// </summary>
internal static class UrlRedaction
{
    private const int MaxLength = 160;

    public static string Redact(Uri uri)
    {
        if (!uri.IsAbsoluteUri)
        {
            return "(relative URL)";
        }

        string text = $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}";
        if (text.Length > MaxLength)
        {
            text = string.Concat(text.AsSpan(0, MaxLength), "…");
        }

        return string.IsNullOrEmpty(uri.Query) ? text : text + "?…";
    }
}
