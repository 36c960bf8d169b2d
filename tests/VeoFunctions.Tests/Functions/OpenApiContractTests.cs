using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using VeoFunctions.Functions;
using VeoFunctions.Testing;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Functions;

/// <summary>
/// The OpenAPI document (<c>src/VeoFunctions/Contract/openapi.json</c>) against what the Functions host is told: every
/// HTTP function of the build's <c>functions.metadata</c> is an operation of the document with the same route, method
/// and auth level, and the document has no other. What the answers look like is held by the integration tier
/// (<c>ContractConformanceTests</c>).
/// </summary>
public sealed class OpenApiContractTests
{
    // (name, "/route", method, auth level) of each HTTP function of the build.
    private static List<string> Metadata() =>
        [.. FunctionMetadataTests.BuiltMetadata()
            .SelectMany(f => f!["bindings"]!.AsArray()
                .Where(b => (string?)b!["type"] == "httpTrigger")
                .SelectMany(t => t!["methods"]!.AsArray().Select(m => $"{f["name"]} /{t["route"]} {((string)m!).ToLowerInvariant()} {t["authLevel"]}")))
            .Order(StringComparer.Ordinal)];

    // The same of each operation of the document: its operationId is the function's name; no security means anonymous.
    private static List<string> Documented(JsonObject document) =>
        [.. ContractFiles.Operations(document)
            .Select(o => $"{o.Operation["operationId"]} {o.Path} {o.Method} {(o.Operation["security"] is JsonArray { Count: 0 } ? "Anonymous" : "Function")}")
            .Order(StringComparer.Ordinal)];

    [Fact]
    public void EveryHttpFunction_IsAnOperationOfTheDocument_WithItsRouteMethodAndAuthLevel_AndTheDocumentHasNoOther()
    {
        Assert.Equal(Metadata(), Documented(ContractFiles.OpenApi()));
    }

    [Fact]
    public void TheDocument_IsOpenApi31_AndEveryFunctionKeyRouteNamesBothWaysToSendTheKey()
    {
        var document = ContractFiles.OpenApi();

        Assert.Equal("3.1.0", (string?)document["openapi"]);
        var schemes = document["components"]!["securitySchemes"]!.AsObject();
        Assert.Equal(("apiKey", "header", "x-functions-key"), ((string?)schemes["functionKeyHeader"]!["type"], (string?)schemes["functionKeyHeader"]!["in"], (string?)schemes["functionKeyHeader"]!["name"]));
        Assert.Equal(("apiKey", "query", "code"), ((string?)schemes["functionKeyQuery"]!["type"], (string?)schemes["functionKeyQuery"]!["in"], (string?)schemes["functionKeyQuery"]!["name"]));
        Assert.Equal(["functionKeyHeader", "functionKeyQuery"], document["security"]!.AsArray().SelectMany(s => s!.AsObject().Select(p => p.Key)));
    }

    [Fact]
    public void EveryOperation_ListsItsFailure_AndEveryFunctionKeyOperationTheHostsRefusal()
    {
        var document = ContractFiles.OpenApi();

        Assert.All(ContractFiles.Operations(document), o =>
        {
            var responses = o.Operation["responses"]!.AsObject();
            Assert.True(responses.ContainsKey("500"), $"{o.Method} {o.Path}: no 500");
            Assert.True(o.Operation["security"] is JsonArray { Count: 0 } || responses.ContainsKey("401"), $"{o.Method} {o.Path}: no 401");
            Assert.All(responses.Select(r => r.Key), status => Assert.Matches("^[1-5][0-9][0-9]$", status));
        });
    }

    [Fact]
    public void EveryReferenceInTheDocument_NamesSomething_AndEverySchemaCompiles()
    {
        var document = ContractFiles.OpenApi();
        var references = new List<string>();
        Collect(document, references);

        Assert.NotEmpty(references);
        Assert.All(references, reference => Assert.True(ContractFiles.Pointer(document, reference) is not null, $"{reference} names nothing"));
        Assert.All(document["components"]!["schemas"]!.AsObject(), schema => ContractFiles.SchemaOf(document, schema.Value!));
    }

    [Fact]
    public async Task TheServedDocument_IsTheRepositorysFile_AsJson()
    {
        var result = Assert.IsType<FileContentResult>(new GetOpenApi().Run(TestRequests.Get("/api/openapi.json")));

        Assert.Equal("application/json", result.ContentType);
        Assert.Equal(await File.ReadAllBytesAsync(ContractFiles.InRepository(ContractFiles.OpenApiPath)), result.FileContents);
    }

    private static void Collect(JsonNode? node, List<string> references)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    if (name == "$ref")
                    {
                        references.Add(value!.GetValue<string>());
                    }
                    else
                    {
                        Collect(value, references);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Collect(item, references);
                }

                break;
        }
    }
}
