using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace FalEmulator;

/// <summary>
/// Query parameters as fal's Platform API reads them: multi-valued as <c>?x=a,b</c> or <c>?x=a&amp;x=b</c>; start/end as
/// ISO 8601 date-time or YYYY-MM-DD; limit; an opaque cursor (here: base64 of a page offset). The first invalid
/// parameter is kept in <see cref="Error"/> (a 400 validation_error).
/// </summary>
internal sealed partial class PlatformQuery(IQueryCollection query)
{
    public string? Error { get; private set; }

    public IReadOnlyList<string> Values(string name) =>
        query[name].SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();

    public string? Single(string name) => Values(name) is [var one, ..] ? one : null;

    public DateTimeOffset? Time(string name)
    {
        var text = Single(name);
        if (text is null)
        {
            return null;
        }

        if (DateOnlyPattern().IsMatch(text)
            && DateTimeOffset.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var day))
        {
            return day;
        }

        if (text.Contains('T', StringComparison.OrdinalIgnoreCase)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at;
        }

        return Fail<DateTimeOffset?>($"'{name}' must be an ISO 8601 date-time or YYYY-MM-DD, got '{text}'.", null);
    }

    public int Limit(int defaultValue, int max)
    {
        var text = Single("limit");
        if (text is null)
        {
            return defaultValue;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= max
            ? n
            : Fail(string.Create(CultureInfo.InvariantCulture, $"'limit' must be an integer from 1 to {max}."), defaultValue);
    }

    /// <summary>The page offset the cursor stands for (0 without one).</summary>
    public int Offset()
    {
        var text = Single("cursor");
        if (text is null)
        {
            return 0;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(text));
            if (int.TryParse(decoded, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                return offset;
            }
        }
        catch (FormatException)
        {
        }

        return Fail("Invalid cursor.", 0);
    }

    /// <summary>Checks that every value of <paramref name="name"/> is one of <paramref name="allowed"/>.</summary>
    public IReadOnlyList<string> OneOf(string name, params string[] allowed)
    {
        var values = Values(name);
        var bad = values.FirstOrDefault(v => !allowed.Contains(v, StringComparer.Ordinal));
        return bad is null ? values : Fail($"'{name}' must be one of {string.Join(", ", allowed)}, got '{bad}'.", values);
    }

    public T Fail<T>(string message, T fallback)
    {
        Error ??= message;
        return fallback;
    }

    /// <summary>One page of <paramref name="all"/> and the paging fields fal answers with it.</summary>
    public static (IReadOnlyList<T> Items, string? NextCursor, bool HasMore) Page<T>(IReadOnlyList<T> all, int offset, int limit)
    {
        var items = all.Skip(offset).Take(limit).ToList();
        var hasMore = offset + limit < all.Count;
        var next = hasMore ? Convert.ToBase64String(Encoding.UTF8.GetBytes((offset + limit).ToString(CultureInfo.InvariantCulture))) : null;
        return (items, next, hasMore);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex DateOnlyPattern();
}
