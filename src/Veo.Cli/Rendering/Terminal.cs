using Spectre.Console;

namespace Veo.Cli.Rendering;

/// <summary>Whether a console can be redrawn in place (a live display, a progress bar) or only appended to.</summary>
public static class Terminal
{
    public static bool IsLive(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        return console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi;
    }
}
