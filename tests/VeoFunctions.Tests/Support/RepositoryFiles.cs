using System.Text.Json;

namespace VeoFunctions.Tests.Support;

/// <summary>Files of the repository the app deploys (host.json, infra/), read from the checkout above the test binaries.</summary>
internal static class RepositoryFiles
{
    /// <summary>The text of <paramref name="path"/>, relative to the repository root.</summary>
    public static string Read(params string[] path) => File.ReadAllText(Path.Combine([Root(), .. path]));

    /// <summary>The app's host.json.</summary>
    public static JsonElement HostJson() => JsonDocument.Parse(Read("host.json")).RootElement;

    /// <summary>The repository's root folder.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VeoFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("VeoFunctions.sln not found above the test binaries.");
    }
}
