using System.Text.Json.Nodes;
using Json.Schema;

namespace VeoFunctions.Testing;

/// <summary>
/// The repository's machine-readable contract: the HTTP API's OpenAPI document (<c>src/VeoFunctions/Contract/openapi.json</c>)
/// and the manifest schema (<c>schemas/manifest.schema.json</c>), read from the checkout, and JSON validated against
/// them (JsonSchema.Net, draft 2020-12: the dialect of OpenAPI 3.1's schemas).
/// </summary>
internal static class ContractFiles
{
    public const string OpenApiPath = "src/VeoFunctions/Contract/openapi.json";

    public const string ManifestSchemaPath = "schemas/manifest.schema.json";

    private static readonly Lazy<JsonSchema> Manifest = new(() => JsonSchema.FromText(File.ReadAllText(InRepository(ManifestSchemaPath))));

    /// <summary>The manifest schema.</summary>
    public static JsonSchema ManifestSchema => Manifest.Value;

    /// <summary>A file of the checkout above the test binaries.</summary>
    public static string InRepository(string path)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VeoFunctions.sln")))
            {
                return Path.Combine(dir.FullName, path);
            }
        }

        throw new InvalidOperationException("VeoFunctions.sln not found above the test binaries.");
    }

    /// <summary>The OpenAPI document as the repository has it.</summary>
    public static JsonObject OpenApi() => JsonNode.Parse(File.ReadAllText(InRepository(OpenApiPath)))!.AsObject();

    /// <summary>The operations of the document: path (as written, e.g. <c>/videos/{jobId}</c>), lower-case method, and the operation.</summary>
    public static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonObject document)
    {
        string[] methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject().Where(p => methods.Contains(p.Key)))
            {
                yield return (path, method, operation!.AsObject());
            }
        }
    }

    /// <summary>Follows a local <c>$ref</c> (<c>#/components/…</c>) to what it names; other nodes are returned as they are.</summary>
    public static JsonNode Resolve(JsonObject document, JsonNode node)
    {
        while (node is JsonObject { } obj && obj["$ref"]?.GetValue<string>() is { } reference && !reference.StartsWith("#/components/schemas/", StringComparison.Ordinal))
        {
            node = Pointer(document, reference) ?? throw new InvalidOperationException($"{reference} names nothing in the document.");
        }

        return node;
    }

    /// <summary>What a local reference (<c>#/a/b~1c</c>) names in <paramref name="document"/>, or null.</summary>
    public static JsonNode? Pointer(JsonObject document, string reference)
    {
        JsonNode? node = document;
        foreach (string segment in reference.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node is JsonObject obj ? obj[segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)] : null;
        }

        return node;
    }

    /// <summary>A schema of the document standing alone: the document's component schemas become its <c>$defs</c>.</summary>
    public static JsonSchema SchemaOf(JsonObject document, JsonNode schema)
    {
        var defs = document["components"]!["schemas"]!.DeepClone().AsObject();
        defs["__answer"] = schema.DeepClone();
        var standalone = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = defs,
            ["$ref"] = "#/$defs/__answer",
        };
        return JsonSchema.FromText(standalone.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal));
    }

    /// <summary>Where <paramref name="instance"/> breaks <paramref name="schema"/>, one line each; empty when it validates.</summary>
    public static List<string> Errors(JsonSchema schema, JsonNode? instance)
    {
        var results = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return results.IsValid
            ? []
            : [.. results.Details.Where(d => d.HasErrors).Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors!.Values)} ({d.EvaluationPath})")];
    }
}
