using System.Diagnostics;

namespace VeoFunctions.RealHostTests.Infrastructure;

/// <summary>
/// Which real Azure Functions host runs the app: Core Tools' <c>func start</c> where it is installed (a developer's
/// machine), else the host build beside the repository (<c>../shared/functions-host/start-host</c>, which unpacks into
/// <c>FUNCTIONS_HOST_DIR</c> when that is set). Null when there is neither: the tier is then skipped with that reason.
/// </summary>
public sealed record HostLauncher(string Description, Func<HostStart, ProcessStartInfo> Command)
{
    /// <summary>Why the tier cannot run here, for the skip message.</summary>
    public const string NoneFound =
        "No Azure Functions host on this machine: neither Core Tools' 'func' on PATH nor ../shared/functions-host/start-host beside the repository.";

    private static readonly Lazy<HostLauncher?> Found = new(Locate);

    public static HostLauncher? Current => Found.Value;

    private static HostLauncher? Locate()
    {
        if (Environment.GetEnvironmentVariable("VEO_REALHOST") is "start-host")
        {
            return StartHost();
        }

        return CoreTools() ?? StartHost();
    }

    private static HostLauncher? CoreTools()
    {
        string? func = Repository.OnPath("func");
        if (func is null)
        {
            return null;
        }

        // Core Tools checks keys only with --enableAuth; the tier asserts them, so it asks for them, and keeps them
        // as files where the fixture reads them, as start-host does.
        return new HostLauncher($"Core Tools ({func}, func start --enableAuth)", start =>
        {
            var info = new ProcessStartInfo(func) { WorkingDirectory = start.AppDirectory };
            foreach (string arg in new[] { "start", "--port", start.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--enableAuth" })
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment["AzureWebJobsSecretStorageType"] = "files";
            info.Environment["FUNCTIONS_SECRETS_PATH"] = start.SecretsDirectory;
            return info;
        });
    }

    private static HostLauncher? StartHost()
    {
        string script = Path.Combine(Repository.Root, "..", "shared", "functions-host", "start-host");
        if (!File.Exists(script))
        {
            return null;
        }

        script = Path.GetFullPath(script);
        return new HostLauncher($"Azure Functions host 4.1037.0 ({script})", start =>
        {
            var info = new ProcessStartInfo("bash");
            foreach (string arg in new[] { script, start.AppDirectory, "--port", start.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--settings", start.SettingsFile, "--secrets", start.SecretsDirectory })
            {
                info.ArgumentList.Add(arg);
            }

            return info;
        });
    }
}

/// <summary>What a launcher needs to start one host.</summary>
/// <param name="AppDirectory">The app's build output (functions.metadata, host.json), with its local.settings.json.</param>
public sealed record HostStart(string AppDirectory, int Port, string SettingsFile, string SecretsDirectory);

/// <summary>Where the repository and its parts are.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The app's build output of the configuration these tests were built in (the host runs it as func start does).</summary>
    public static string AppBuildOutput
    {
        get
        {
            // tests/VeoFunctions.RealHostTests/bin/{Configuration}/{tfm}/
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string tfm = output.Name, configuration = output.Parent!.Name;
            string app = Path.Combine(Root, "src", "VeoFunctions", "bin", configuration, tfm);
            return File.Exists(Path.Combine(app, "functions.metadata"))
                ? app
                : throw new InvalidOperationException($"The app's build output {app} has no functions.metadata: build the solution first.");
        }
    }

    public static string? OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, command))
            .FirstOrDefault(File.Exists);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VeoFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (VeoFunctions.sln) was not found above " + AppContext.BaseDirectory);
    }
}
