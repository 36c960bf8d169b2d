using System.Diagnostics;

namespace VeoFunctions.Tests.Support;

/// <summary>
/// Runs one of the repository's shell scripts (scripts/, the azd hooks) with bash and an environment of the test's
/// choosing: nothing of the caller's own azd or fal environment leaks in.
/// </summary>
internal static class RepositoryScript
{
    /// <summary>Generous: scripts/bicep-build may first download its Bicep CLI, on a busy 2-core machine.</summary>
    private static readonly TimeSpan ScriptPatience = TimeSpan.FromMinutes(15);

    /// <summary>Variables of the caller's environment that would change what the scripts under test do.</summary>
    private static readonly string[] Inherited = ["FAL_KEY", "FAL_ADMIN_KEY", "PUBLIC_BASE_URL", "AZURE_ENV_NAME"];

    public static async Task<(int ExitCode, string Out, string Error)> RunAsync(string script, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepositoryFiles.Root() };
        start.ArgumentList.Add(Path.Combine(RepositoryFiles.Root(), script));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string name in Inherited)
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ScriptPatience);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
