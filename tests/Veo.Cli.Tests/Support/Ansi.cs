using System.Text.RegularExpressions;

namespace Veo.Cli.Tests.Support;

/// <summary>The text a person sees in a live display's output, escape sequences removed.</summary>
internal static partial class Ansi
{
    public static string Strip(string output) => Escapes().Replace(output, string.Empty);

    [GeneratedRegex(@"\x1B(\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[@-Z\\-_])")]
    private static partial Regex Escapes();
}
