using System.Globalization;
using System.Text.RegularExpressions;

namespace VeoFunctions.Jobs;

/// <summary>
/// An exception's message made fit for a job's status (<c>lastError</c>, <c>error</c>), which callers and callbacks
/// see: one line, no storage XML, request ids or host names, at most <see cref="MaxLength"/> characters. The full text
/// stays in the logs. Pure, so the orchestrator may use it.
/// </summary>
public static partial class FailureText
{
    public const int MaxLength = 240;

    public static string Clear(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return "it failed without saying why";
        }

        // Azure Storage: "<what>\nRequestId:…\nTime:…\nStatus: 503 (Server Busy)\nErrorCode: ServerBusy\n\nContent:\n<?xml…"
        string first = message.Split('\n', 2)[0].Trim();
        var status = StorageStatus().Match(message);
        if (status.Success)
        {
            var code = StorageErrorCode().Match(message);
            first = string.Create(CultureInfo.InvariantCulture, $"storage answered {status.Groups[1].Value}{(code.Success ? $" ({code.Groups[1].Value.Trim()})" : "")}")
                + (first.Length > 0 && !first.StartsWith("Service request failed", StringComparison.Ordinal) ? ": " + first : "");
        }

        // .NET names the host it could not reach ("Connection refused (v3.fal.media:443)"); URLs may carry more.
        first = Whitespace().Replace(HostAndPort().Replace(Url().Replace(first, "(a URL)"), ""), " ").Trim();
        return first.Length <= MaxLength ? first : first[..(MaxLength - 1)] + "…";
    }

    [GeneratedRegex(@"^Status:\s*(\d{3})", RegexOptions.Multiline)]
    private static partial Regex StorageStatus();

    [GeneratedRegex(@"^ErrorCode:\s*(\S+)", RegexOptions.Multiline)]
    private static partial Regex StorageErrorCode();

    [GeneratedRegex(@"\s*\([A-Za-z0-9.\-\[\]:]+:\d+\)")]
    private static partial Regex HostAndPort();

    [GeneratedRegex(@"\b[a-z][a-z0-9+.-]*://\S+", RegexOptions.IgnoreCase)]
    private static partial Regex Url();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
