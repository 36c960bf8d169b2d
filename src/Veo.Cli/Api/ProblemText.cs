namespace Veo.Cli.Api;

/// <summary>Turns a problem's per-field <c>errors</c> into one line, with fields named as the caller knows them.</summary>
public static class ProblemText
{
    /// <summary>
    /// "field: message; field: message", each field passed through <paramref name="label"/> (the CLI names
    /// its options there), or null when the problem names no fields.
    /// </summary>
    public static string? Fields(Problem? problem, Func<string, string>? label = null)
    {
        if (problem?.Errors is not { Count: > 0 } errors)
        {
            return null;
        }

        return string.Join("; ", errors.Select(e => $"{(label ?? (f => f))(e.Key)}: {string.Join(" ", e.Value.Select(v => v.TrimEnd('.')))}"));
    }
}
