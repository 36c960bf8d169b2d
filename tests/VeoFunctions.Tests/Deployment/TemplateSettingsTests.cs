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

    /// <summary>
    /// A setting a user may need to change is worth nothing if a provision wipes it: every setting the app reads is
    /// either written by the compiled templates (and so kept by every provision) or named in
    /// infra/code-default-settings.txt as one that runs on its code default.
    /// </summary>
    [Fact]
    public async Task EverySettingTheAppReads_IsSetByInfra_OrListedAsACodeDefault_NeverBoth()
    {
        var infra = await InfraAppSettingsAsync();
        var codeDefaults = CodeDefaultSettings();
        var read = SettingsTheAppReads();

        var neither = read.Where(name => !infra.Contains(name) && !codeDefaults.Contains(name)).ToList();
        var stale = codeDefaults.Where(name => !read.Contains(name)).ToList();
        var both = codeDefaults.Where(infra.Contains).ToList();

        Assert.Contains("Jobs__Deadline", infra);
        Assert.Empty(neither);
        Assert.Empty(stale);
        Assert.Empty(both);
    }

    /// <summary>Every parameter of main.bicep can be set through azd (an environment value), so a re-provision keeps it.</summary>
    [Fact]
    public async Task EveryTemplateParameter_IsInTheAzdParametersFile()
    {
        var main = await CompiledTemplate.MainAsync();
        using var file = System.Text.Json.JsonDocument.Parse(Support.RepositoryFiles.Read("infra", "main.parameters.json"));
        var mapped = file.RootElement.GetProperty("parameters").EnumerateObject().Select(p => p.Name).ToHashSet();

        var unmapped = main.GetProperty("parameters").EnumerateObject().Select(p => p.Name).Where(name => !mapped.Contains(name)).ToList();

        Assert.Empty(unmapped);
        Assert.Equal("${JOBS_DEADLINE=00:30:00}", file.RootElement.GetProperty("parameters").GetProperty("jobsDeadline").GetProperty("value").GetString());
    }

    private static async Task<HashSet<string>> InfraAppSettingsAsync()
    {
        var functionApp = CompiledTemplate.Module(await CompiledTemplate.MainAsync(), "functionapp");
        var config = functionApp.GetProperty("resources").EnumerateArray().Single(r => r.GetProperty("type").GetString() == "Microsoft.Web/sites/config");
        return CompiledTemplate.CreatedObjectNames(config.GetProperty("properties").GetString()!).ToHashSet();
    }

    private static HashSet<string> CodeDefaultSettings() =>
        Support.RepositoryFiles.Read("infra", "code-default-settings.txt").Split('\n')
            .Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#')).ToHashSet();

    /// <summary>Each options property as "Section__Property", and the few settings read directly (constants named *Setting).</summary>
    private static HashSet<string> SettingsTheAppReads()
    {
        var bound = Sections.SelectMany(s => s.Value.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite || p.PropertyType.IsGenericType) // a collection binds through its getter
            .Select(p => $"{s.Key}__{p.Name}"));
        var direct = typeof(VeoFunctionsServices).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            .Where(f => f.IsLiteral && f.Name.EndsWith("Setting", StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!);
        return bound.Concat(direct).ToHashSet();
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
