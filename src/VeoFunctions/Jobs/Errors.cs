namespace VeoFunctions.Jobs;

/// <summary>
/// Errors by field, as RFC 7807's validation extension carries them. At most <see cref="MaxListed"/> are kept; the rest
/// are only counted (<see cref="Unlisted"/>), so an answer to unbounded input (a body of 300,000 unknown fields) stays a
/// few kilobytes instead of growing with the input.
/// </summary>
public sealed class Errors : Dictionary<string, List<string>>
{
    /// <summary>The most problems an answer lists, at either door (the HTTP 400 and a manifest's error file).</summary>
    public const int MaxListed = 50;

    private int _listed;

    /// <summary>Problems found beyond <see cref="MaxListed"/>: counted, not kept.</summary>
    public int Unlisted { get; private set; }

    public void Add(string field, string message)
    {
        if (_listed >= MaxListed)
        {
            Unlisted++;
            return;
        }

        if (!TryGetValue(field, out var list))
        {
            this[field] = list = [];
        }

        list.Add(message);
        _listed++;
    }

    /// <summary>What an answer says in place of the problems it does not list.</summary>
    public static string UnlistedReason(int unlisted) =>
        $"{unlisted} more problem(s) not listed: at most {MaxListed} are. Fix these and send it again to see the rest.";
}
