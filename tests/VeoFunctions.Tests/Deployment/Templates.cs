using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Deployment;

/// <summary>The Bicep templates under infra/, read as text.</summary>
internal static class Templates
{
    /// <summary>The text of infra/<paramref name="path"/>.</summary>
    public static string Read(params string[] path) => RepositoryFiles.Read(["infra", .. path]);
}
