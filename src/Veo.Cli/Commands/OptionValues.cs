using System.Globalization;
using Spectre.Console;

namespace Veo.Cli.Commands;

/// <summary>
/// Typed option values read from text, so a bad one is named with what to give instead of Spectre's
/// "Failed to convert … to Nullable`1". Each returns null for an absent option and throws only on a bad one.
/// </summary>
internal static class OptionValues
{
    public static bool? Bool(string option, string? text) => text?.ToUpperInvariant() switch
    {
        null => null,
        "TRUE" or "YES" or "1" => true,
        "FALSE" or "NO" or "0" => false,
        _ => throw Bad(option, text, "give true or false"),
    };

    public static uint? UInt(string option, string? text) =>
        text is null ? null
        : uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint value) ? value
        : throw Bad(option, text, "give a whole number from 0 to 4294967295");

    public static int? Int(string option, string? text, int min, int max) =>
        text is null ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max ? value
        : throw Bad(option, text, string.Create(CultureInfo.InvariantCulture, $"give a whole number from {min} to {max}"));

    public static TimeSpan? Seconds(string option, string? text) =>
        text is null ? null
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0 && value <= 3600 ? TimeSpan.FromSeconds(value)
        : throw Bad(option, text, "give a number of seconds above 0, at most 3600");

    /// <summary>Runs <paramref name="checks"/> for Spectre's validation step, turning the first bad value into its error.</summary>
    public static ValidationResult Check(params Action[] checks)
    {
        try
        {
            foreach (var check in checks)
            {
                check();
            }

            return ValidationResult.Success();
        }
        catch (UsageException ex)
        {
            return ValidationResult.Error(ex.Message);
        }
    }

    private static UsageException Bad(string option, string text, string what) => new($"{option} {text}: {what}.");
}
