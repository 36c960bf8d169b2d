using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.RegularExpressions;
using Fal;
using VeoFunctions.Archive;
using VeoFunctions.Callbacks;
using VeoFunctions.Images;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using VeoFunctions.Operations;
using VeoFunctions.Storage;

namespace VeoFunctions.Tests.Deployment;

/// <summary>
/// The Bicep templates and the options the app binds must agree: a setting the app ignores is a typo, and a
/// required option the templates don't provide stops the app at start-up in Azure.
/// </summary>
public sealed partial class TemplateSettingsTests
{
    private static readonly Dictionary<string, Type> Sections = new()
    {
        [FalOptions.SectionName] = typeof(FalOptions),
        [JobOptions.SectionName] = typeof(JobOptions),
        [StorageOptions.SectionName] = typeof(StorageOptions),
        [ImageOptions.SectionName] = typeof(ImageOptions),
        [ArchiveOptions.SectionName] = typeof(ArchiveOptions),
        [CallbackOptions.SectionName] = typeof(CallbackOptions),
        [MoneyOptions.SectionName] = typeof(MoneyOptions),
        [RetentionOptions.SectionName] = typeof(RetentionOptions),
        [VeoFunctions.Telemetry.TelemetryOptions.SectionName] = typeof(VeoFunctions.Telemetry.TelemetryOptions),
    };

    [Fact]
    public void EveryAppSettingInTheTemplates_NamesAPropertyTheAppBinds()
    {
        var unknown = AppSettingNames()
            .Where(name => !Sections.TryGetValue(name.Split("__")[0], out var type) || type.GetProperty(name.Split("__")[1]) is null)
            .ToList();

        Assert.Empty(unknown);
    }

    [Fact]
    public void EveryRequiredOption_IsProvidedByTheTemplates()
    {
        var provided = AppSettingNames().ToHashSet();
        var required = Sections
            .SelectMany(s => s.Value.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.GetCustomAttribute<RequiredAttribute>() is not null && !HasUsableDefault(s.Value, p))
                .Select(p => $"{s.Key}__{p.Name}"))
            .ToList();

        Assert.Contains("Fal__Key", required);
        Assert.All(required, name => Assert.Contains(name, provided));
        Assert.True(provided.Contains("Storage__BlobServiceUri") || provided.Contains("Storage__ConnectionString"), "Storage needs an endpoint.");
    }

    private static bool HasUsableDefault(Type options, PropertyInfo property) =>
        property.GetValue(Activator.CreateInstance(options)) is { } value && value is not "";

    private static IEnumerable<string> AppSettingNames()
    {
        string bicep = Templates.Read("modules", "functionapp.bicep");
        int start = bicep.IndexOf("var appSettings = {", StringComparison.Ordinal);
        Assert.True(start >= 0, "functionapp.bicep should keep the app's settings in one 'var appSettings' block.");
        string block = bicep[start..bicep.IndexOf("\n}", start, StringComparison.Ordinal)];
        return SettingName().Matches(block).Select(m => m.Groups[1].Value);
    }

    [GeneratedRegex(@"^\s*([A-Za-z]+__[A-Za-z]+)\s*:", RegexOptions.Multiline)]
    private static partial Regex SettingName();
}
