namespace VeoFunctions.Manifests;

/// <summary>Which blobs of the jobs container are manifests, and the names of the files the app writes beside one.</summary>
public static class ManifestFiles
{
    public const string ResultSuffix = ".result.json";

    public const string ErrorSuffix = ".error.json";

    /// <summary>
    /// A <c>.json</c> blob that is not one of the app's own files: Event Grid reports those too, and an error file
    /// must not beget an error file.
    /// </summary>
    public static bool IsManifest(string? name) =>
        name is { Length: > 5 }
        && name.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
        && !name.EndsWith(ResultSuffix, StringComparison.OrdinalIgnoreCase)
        && !name.EndsWith(ErrorSuffix, StringComparison.OrdinalIgnoreCase);

    public static string ResultName(string manifest) => Stem(manifest) + ResultSuffix;

    public static string ErrorName(string manifest) => Stem(manifest) + ErrorSuffix;

    private static string Stem(string manifest) => manifest[..^".json".Length];
}
