namespace VeoFunctions.Tests.Deployment;

/// <summary>The Bicep templates under infra/, read as text.</summary>
internal static class Templates
{
    /// <summary>The text of infra/<paramref name="path"/>.</summary>
    public static string Read(params string[] path) => File.ReadAllText(Path.Combine([RepositoryRoot(), "infra", .. path]));

    private static string RepositoryRoot()
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
