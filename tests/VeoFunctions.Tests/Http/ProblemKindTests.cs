using System.Reflection;
using System.Text.RegularExpressions;
using VeoFunctions.Http;
using VeoFunctions.Testing;

namespace VeoFunctions.Tests.Http;

/// <summary>
/// Every problem type the app can answer with (<see cref="ProblemKind"/>, the only types <see cref="Problems"/> takes)
/// is documented: docs/api.md's problem types table has a row anchored by the kind's name, and the OpenAPI document's
/// <c>Problem.type</c> lists it. Neither names a type the app cannot answer. The type URIs do not resolve, so the
/// anchor is where a caller reads what a type means.
/// </summary>
public sealed partial class ProblemKindTests
{
    private static List<ProblemKind> Kinds() =>
        [.. typeof(ProblemKind).GetProperties(BindingFlags.Public | BindingFlags.Static)
            .Where(p => p.PropertyType == typeof(ProblemKind))
            .Select(p => (ProblemKind)p.GetValue(null)!)];

    [Fact]
    public void EveryKind_HasItsAnchoredRow_InApiMdsProblemTypes_AndNoOtherKindIsThere()
    {
        string api = File.ReadAllText(ContractFiles.InRepository("docs/api.md")).ReplaceLineEndings("\n");
        var section = ProblemTypesSection().Match(api);
        Assert.True(section.Success, "docs/api.md has no '## Problem types' section");
        Assert.NotEmpty(Kinds());

        var anchored = RowAnchor().Matches(section.Groups[1].Value).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal);
        Assert.Equal(Kinds().Select(k => k.Name).Order(StringComparer.Ordinal), anchored);
    }

    [Fact]
    public void TheOpenApiProblemType_ListsEveryKind_AndNoOther()
    {
        var type = ContractFiles.OpenApi()["components"]!["schemas"]!["Problem"]!["properties"]!["type"]!;
        var listed = type["enum"]!.AsArray().Select(t => (string)t!).Order(StringComparer.Ordinal);
        Assert.Equal(Kinds().Select(k => k.Type).Order(StringComparer.Ordinal), listed);
    }

    [GeneratedRegex(@"^## Problem types\n(.*?)(?=^## )", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex ProblemTypesSection();

    [GeneratedRegex(@"^\| <a id=""([a-z-]+)""></a>`\1` \|", RegexOptions.Multiline)]
    private static partial Regex RowAnchor();
}
