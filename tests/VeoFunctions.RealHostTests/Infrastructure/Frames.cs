using System.Text.RegularExpressions;

namespace VeoFunctions.RealHostTests.Infrastructure;

/// <summary>
/// The terminal frames of README.md and docs/*.md (their <c>```text</c> blocks: output of our own tools, captured from
/// a run), and the comparison of a frame with what a run printed. Only what varies from run to run is normalised:
/// ids and keys, times and durations, other numbers (dates, counts, queue positions), the checkout's path, and the
/// spacing and rules of table columns (which follow the width of those).
/// </summary>
public static partial class Frames
{
    /// <summary>Every <c>```text</c> block of README.md and docs/*.md, as (file, text).</summary>
    public static List<(string File, string Text)> All() =>
        [.. new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(Repository.Root, "docs"), "*.md").Select(f => Path.GetRelativePath(Repository.Root, f)).Order(StringComparer.Ordinal))
            .SelectMany(file => TextBlock().Matches(Read(file)).Select(m => (file, Unindented(m.Groups[1].Value, m.Groups["indent"].Value))))];

    /// <summary>The one frame of <paramref name="file"/> that <paramref name="holds"/> picks.</summary>
    public static string In(string file, Func<string, bool> holds)
    {
        var frames = All().Where(f => f.File == file && holds(f.Text)).ToList();
        Assert.True(frames.Count == 1, $"{file}: expected one such ```text frame, found {frames.Count}");
        return frames[0].Text;
    }

    /// <summary>A line as it would read in any run: see the class summary.</summary>
    public static string Normalised(string line)
    {
        line = Ansi().Replace(line, "").Replace(Repository.Root, "…", StringComparison.Ordinal);
        line = QueuePosition().Replace(line, "");
        line = Ids().Replace(line, "ID");
        line = Times().Replace(line, "T");
        line = Digits().Replace(line, "N");
        line = Rule().Replace(line, "──");
        return Spaces().Replace(line, " ").Trim();
    }

    /// <summary>
    /// The frame is what the run printed: its first and last lines are the run's (a frame shows all of it, not an
    /// excerpt), and every line of it was printed, in that order. A run may print a line more where runs differ (one
    /// more queue position, a poll the busy app did not answer in time).
    /// </summary>
    public static void AssertShows(string frame, string printed, string what)
    {
        string[] expected = Lines(frame), actual = Lines(printed);
        string Explain(string why) => $"{why}\n--- the frame of {what} (normalised) ---\n{string.Join('\n', expected)}\n--- what the run printed (normalised) ---\n{string.Join('\n', actual)}\n--- as printed ---\n{printed}";

        Assert.True(expected.Length > 0, Explain("The frame is empty."));
        Assert.True(actual.Length > 0 && actual[0] == expected[0] && actual[^1] == expected[^1], Explain("The frame does not begin and end as the run did."));
        int next = 0;
        foreach (string line in expected)
        {
            int at = Array.IndexOf(actual, line, next);
            Assert.True(at >= 0, Explain($"The run did not print, in this order: {line}"));
            next = at + 1;
        }
    }

    /// <summary>The frame appears, whole and in one piece, in what the run printed.</summary>
    public static void AssertContains(string frame, string printed, string what)
    {
        string expected = string.Join('\n', Lines(frame)), actual = string.Join('\n', Lines(printed));
        Assert.True(actual.Contains(expected, StringComparison.Ordinal), $"The run did not print the frame of {what}.\n--- the frame (normalised) ---\n{expected}\n--- as printed ---\n{printed}");
    }

    private static string[] Lines(string text) =>
        [.. text.ReplaceLineEndings("\n").Split('\n').Select(Normalised).Where(l => l.Length > 0)];

    private static string Read(string file) => File.ReadAllText(Path.Combine(Repository.Root, file)).ReplaceLineEndings("\n");

    private static string Unindented(string block, string indent) =>
        string.Join('\n', block.Split('\n').Select(l => l.StartsWith(indent, StringComparison.Ordinal) ? l[indent.Length..] : l));

    [GeneratedRegex(@"^(?<indent>[ ]*)```text\n(.*?)^\k<indent>```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex TextBlock();

    // A veo Idempotency-Key, a GUID (fal's request ids), a job id (lower-case letters and digits, at least 16).
    [GeneratedRegex(@"veo-[0-9a-f]{32}|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b(?=[a-z]*[0-9])[a-z0-9]{16,64}\b")]
    private static partial Regex Ids();

    // veo's offsets (0:14, 1:02:03) and durations (5.2s, 12s, 1m 27s, 2h 05m), and a clock's time of day.
    [GeneratedRegex(@"\b\d+(?::\d\d)+\b|\b\d+(?:\.\d)?s\b|\b\d+m \d\ds\b|\b\d+h \d\dm\b")]
    private static partial Regex Times();

    // veo adds fal's queue position to a "queued" line only when a poll caught the job queued with one: a busy run may
    // not (the emulator's queue lasts under a second), so a frame may show it or not.
    [GeneratedRegex(@"\s*·\s*position \d+ in fal's queue")]
    private static partial Regex QueuePosition();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    [GeneratedRegex("─{2,}")]
    private static partial Regex Rule();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
