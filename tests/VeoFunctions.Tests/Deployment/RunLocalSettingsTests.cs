using System.Reflection;
using Fal;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Deployment;

/// <summary>
/// scripts/run-local with FAL_KEY runs the app against real fal: local.settings.json points every fal URL at the
/// emulator, so each one must be moved (a platform URL left on the emulator's port prices nothing, finds no lost
/// submit and makes /api/health call the key bad), and FAL_ADMIN_KEY reaches the app when it is set. Checked with
/// the script's own dry run, which prints what it would export and starts nothing.
/// </summary>
public sealed class RunLocalSettingsTests
{
    private static async Task<Dictionary<string, string>> PrintedSettingsAsync(Dictionary<string, string> environment)
    {
        var (exit, output, error) = await RepositoryScript.RunAsync("scripts/run-local", ["--print-settings"], environment);
        Assert.True(exit == 0, $"run-local --print-settings exited {exit}: {error}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
    }

    /// <summary>Every URL of fal the app knows, with fal's real address as its default.</summary>
    private static IEnumerable<PropertyInfo> FalUrls() =>
        typeof(FalOptions).GetProperties().Where(p => p.PropertyType == typeof(Uri));

    [Fact]
    public async Task WithFalKey_EveryFalUrlIsFals_AndTheAdminKeyIsPassedOn_WithoutPrintingEitherKey()
    {
        var settings = await PrintedSettingsAsync(new() { ["FAL_KEY"] = "key-id:key-secret", ["FAL_ADMIN_KEY"] = "admin-id:admin-secret" });

        var defaults = new FalOptions();
        Assert.NotEmpty(FalUrls());
        Assert.All(FalUrls(), url =>
        {
            Assert.True(settings.TryGetValue($"{FalOptions.SectionName}__{url.Name}", out string? value), $"run-local leaves {url.Name} on the emulator");
            Assert.Equal((Uri)url.GetValue(defaults)!, new Uri(value));
        });
        Assert.Equal("***", settings["Fal__Key"]);
        Assert.Equal("***", settings["Fal__AdminKey"]);
        Assert.DoesNotContain(settings.Values, v => v.Contains("secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithFalKeyAlone_NoAdminKeyIsSet()
    {
        var settings = await PrintedSettingsAsync(new() { ["FAL_KEY"] = "key-id:key-secret" });

        Assert.Contains("Fal__Key", settings.Keys);
        Assert.DoesNotContain("Fal__AdminKey", settings.Keys);
    }

    [Fact]
    public async Task WithoutFalKey_NothingOverridesTheEmulatorSettings()
    {
        Assert.Empty(await PrintedSettingsAsync([]));
    }
}
