using System.Text;
using System.Text.Json;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Deployment;

/// <summary>
/// infra/main.bicep compiled to ARM JSON by scripts/bicep-build (its pinned Bicep CLI, cached in .tools/ by CI's first
/// step), once per test run: what Azure is actually sent, not the Bicep source.
/// </summary>
internal static class CompiledTemplate
{
    private static readonly Lazy<Task<JsonElement>> Main = new(CompileAsync);

    public static Task<JsonElement> MainAsync() => Main.Value;

    /// <summary>The compiled template of the module deployed as <paramref name="name"/> in main.bicep.</summary>
    public static JsonElement Module(JsonElement main, string name) =>
        main.GetProperty("resources").EnumerateArray()
            .Single(r => r.GetProperty("type").GetString() == "Microsoft.Resources/deployments" && r.GetProperty("name").GetString() == name)
            .GetProperty("properties").GetProperty("template");

    /// <summary>Every string in <paramref name="element"/>, however deep: the template's expressions.</summary>
    public static IEnumerable<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Strings),
        JsonValueKind.String => [element.GetString()!],
        _ => [],
    };

    /// <summary>The names of the objects an ARM expression builds with <c>createObject(name, value, …)</c>.</summary>
    public static IEnumerable<string> CreatedObjectNames(string expression)
    {
        for (int at = expression.IndexOf("createObject(", StringComparison.Ordinal); at >= 0; at = expression.IndexOf("createObject(", at + 1, StringComparison.Ordinal))
        {
            var arguments = TopLevelArguments(expression, at + "createObject(".Length);
            for (int i = 0; i < arguments.Count; i += 2)
            {
                yield return arguments[i].Trim().Trim('\'');
            }
        }
    }

    // Splits "a, f(b, c), 'd, e')" at its top-level commas, up to the parenthesis that closes the call.
    private static List<string> TopLevelArguments(string text, int start)
    {
        var arguments = new List<string>();
        var current = new StringBuilder();
        int depth = 0;
        bool quoted = false;
        for (int i = start; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted && c == '(')
            {
                depth++;
            }
            else if (!quoted && c == ')' && depth-- == 0)
            {
                break;
            }
            else if (!quoted && c == ',' && depth == 0)
            {
                arguments.Add(current.ToString());
                current.Clear();
                continue;
            }

            current.Append(c);
        }

        arguments.Add(current.ToString());
        return arguments;
    }

    private static async Task<JsonElement> CompileAsync()
    {
        string json = Path.Combine(Path.GetTempPath(), $"veo-main-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, output, error) = await RepositoryScript.RunAsync("scripts/bicep-build", [], new Dictionary<string, string> { ["BICEP_JSON_OUT"] = json });
            Assert.True(exit == 0, $"scripts/bicep-build exited {exit}: {output}{error}");
            return JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement.Clone();
        }
        finally
        {
            File.Delete(json);
        }
    }
}
