using System.Text.RegularExpressions;

namespace VeoFunctions.Tests.Deployment;

/// <summary>
/// The alert rules find what they are for: each log query's marker text is in a message the app logs (so rewording a
/// log line cannot silence its alert), and every rule docs/operations.md explains is deployed.
/// </summary>
public sealed partial class AlertRuleTests
{
    private static string SourceText() =>
        string.Join('\n', Directory.EnumerateFiles(Path.Combine(Support.RepositoryFiles.Root(), "src", "VeoFunctions"), "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText));

    [Fact]
    public void EveryTraceQuerysMarker_IsInAMessageTheAppLogs()
    {
        var markers = TraceMarker().Matches(Templates.Read("modules", "alerts.bicep")).Select(m => m.Groups[1].Value).ToList();
        string source = SourceText();

        Assert.Equal(["paid and lost", "uncertain submit", "Daily budget nearly spent"], markers);
        Assert.All(markers, marker => Assert.Contains(marker, source, StringComparison.Ordinal));
    }

    [Fact]
    public void TheWebhookRule_NamesTheWebhookFunction()
    {
        Assert.Contains($"name == \"{nameof(VeoFunctions.Functions.ReceiveFalWebhook)}\"", Templates.Read("modules", "alerts.bicep"), StringComparison.Ordinal);
    }

    [GeneratedRegex("""traces \| where message has \\?"([^"\\]+)\\?"'""")]
    private static partial Regex TraceMarker();
}
