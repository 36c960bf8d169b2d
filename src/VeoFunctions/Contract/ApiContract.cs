namespace VeoFunctions.Contract;

/// <summary>
/// The HTTP API's OpenAPI 3.1 document (<c>Contract/openapi.json</c>), written by hand and embedded in the app as it
/// is in the repository. Tests hold it against the functions' metadata and the app's real answers.
/// </summary>
public static class ApiContract
{
    public const string ResourceName = "VeoFunctions.Contract.openapi.json";

    private static readonly Lazy<byte[]> Document = new(() =>
    {
        using var stream = typeof(ApiContract).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The build embedded no {ResourceName}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    /// <summary>The document's UTF-8 bytes.</summary>
    public static ReadOnlyMemory<byte> OpenApiJson => Document.Value;
}
