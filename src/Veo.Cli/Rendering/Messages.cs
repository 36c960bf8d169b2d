using Spectre.Console;

namespace Veo.Cli.Rendering;

/// <summary>
/// Lines that must stay whole: errors (one line each, for people and for logs) and <c>--json</c> output. Both go to
/// the console's writer directly, because Spectre wraps text at the console's width and would break them.
/// </summary>
public static class Messages
{
    public static void Error(IAnsiConsole console, string message)
    {
        ArgumentNullException.ThrowIfNull(console);
        console.Profile.Out.Writer.WriteLine("veo: " + message);
        console.Profile.Out.Writer.Flush();
    }

    /// <summary>A JSON document as the app sent it, on one line (JSON Lines when there are several).</summary>
    public static void Json(IAnsiConsole console, string json)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(json);
        console.Profile.Out.Writer.WriteLine(json.ReplaceLineEndings(string.Empty));
        console.Profile.Out.Writer.Flush();
    }
}
