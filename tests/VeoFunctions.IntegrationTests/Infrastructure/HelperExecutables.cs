namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// Finds the helper executables this test project builds alongside itself (ProjectReferences with
/// ReferenceOutputAssembly=false): tests/DurableSidecar and tests/VeoWorker, in the same configuration and
/// target framework as this test assembly. Override with DURABLE_SIDECAR_DLL / VEO_WORKER_DLL.
/// </summary>
public static class HelperExecutables
{
    public static string DurableSidecar => Locate("DurableSidecar", "DURABLE_SIDECAR_DLL");

    public static string VeoWorker => Locate("VeoWorker", "VEO_WORKER_DLL");

    private static string Locate(string project, string variable)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } configured)
        {
            return configured;
        }

        // This assembly runs from tests/VeoFunctions.IntegrationTests/bin/{Configuration}/{TargetFramework}/.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = output.Name;
        string configuration = output.Parent!.Name;
        for (var dir = output; dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", project, "bin", configuration, framework, project + ".dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"{project}.dll ({configuration}, {framework}) was not found: build the solution (the integration test project references tests/{project}), or set {variable}.");
    }
}
