using System.Globalization;
using System.Text.RegularExpressions;

namespace VeoFunctions.Bench;

/// <summary>
/// Storage transactions counted from Azurite's debug log (<c>--debug</c>): one line per request served
/// ("…Z {id} info: QueueStorageContextMiddleware: RequestMethod=GET RequestURL=http://…/devstoreaccount1/…"), classified
/// by what it is for (a task hub queue, table or blob; the app's work or videos container) and what it does. A table
/// batch (<c>$batch</c>) is one transaction, as Azure bills it.
/// </summary>
internal static partial class StorageTransactions
{
    /// <summary>The requests logged between two moments, by category ("queue control-* dequeue", "table History batch"…).</summary>
    public static Dictionary<string, int> Count(string logPath, DateTimeOffset from, DateTimeOffset to, string taskHub, string workContainer, string videosContainer)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            var match = RequestLine().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var at = DateTimeOffset.Parse(match.Groups["at"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            if (at < from || at >= to)
            {
                continue;
            }

            string category = Classify(match.Groups["service"].Value, match.Groups["method"].Value, new Uri(match.Groups["url"].Value), taskHub, workContainer, videosContainer);
            counts[category] = counts.GetValueOrDefault(category) + 1;
        }

        return counts;
    }

    private static string Classify(string service, string method, Uri url, string taskHub, string work, string videos)
    {
        string[] path = url.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray(); // after the account
        string query = url.Query;
        string first = path.Length > 0 ? Uri.UnescapeDataString(path[0]) : "";
        string hub = taskHub.ToLowerInvariant();
        switch (service)
        {
            case "Queue":
            {
                string queue = first.StartsWith(hub + "-control-", StringComparison.Ordinal) ? "control-*" : first == hub + "-workitems" ? "workitems" : first;
                string op = (method, path.Length) switch
                {
                    ("GET", 2) when query.Contains("peekonly=true", StringComparison.OrdinalIgnoreCase) => "peek",
                    ("GET", 2) => "dequeue (get messages)",
                    ("POST", 2) => "enqueue",
                    ("DELETE", 3) => "delete message",
                    ("PUT", 3) => "update message",
                    _ => method + (query.Length > 0 ? " " + query.Split('&')[0].TrimStart('?') : ""),
                };
                return $"queue {queue}: {op}";
            }

            case "Table":
            {
                string table = first.Split('(')[0];
                table = table.StartsWith(taskHub, StringComparison.Ordinal) ? table[taskHub.Length..] : table;
                string op = (method, first) switch
                {
                    ("POST", "$batch") => "batch",
                    ("POST", _) => "insert",
                    ("GET", _) => "query",
                    ("PUT" or "MERGE" or "PATCH", _) => "update",
                    _ => method,
                };
                return $"table {table}: {op}";
            }

            default:
            {
                string container = first == work ? "work" : first == videos ? "videos" : first.StartsWith(hub, StringComparison.Ordinal) ? first[hub.Length..].TrimStart('-') : first;
                // The work container's blobs by kind: "ledger/*/submission.json", "staged/*/0.png", "*/…" (a job id's own folder).
                string area = container == "work" && path.Length > 1 ? "/" + string.Join('/', path.Skip(1).Select(Uri.UnescapeDataString).Select(KindOf)) : "";
                string comp = System.Web.HttpUtility.ParseQueryString(query)["comp"] is { } c ? " " + c : "";
                return $"blob {container}{area}: {method}{comp}";
            }
        }
    }

    // A job id (32 hex digits, or "k" and 31 for an Idempotency-Key's; the index prefixes it with ticks) is "*", and so is what is named after one.
    private static string KindOf(string segment) =>
        JobIdLike().IsMatch(segment) ? "*" + JobIdLike().Replace(segment, "", 1) : segment;

    [GeneratedRegex(@"^([0-9]{19}-)?k?[0-9a-f]{31,32}")]
    private static partial Regex JobIdLike();

    [GeneratedRegex(@"^(?<at>\S+Z) \S+ info: (?<service>Blob|Queue|Table)StorageContextMiddleware: RequestMethod=(?<method>\S+) RequestURL=(?<url>\S+)")]
    private static partial Regex RequestLine();
}
