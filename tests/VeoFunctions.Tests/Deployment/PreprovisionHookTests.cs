using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Deployment;

/// <summary>
/// azd refuses to provision without FAL_KEY: without it Fal__Key is a Key Vault reference to nothing and every fal call
/// is a 401. The hook is run with a stand-in azd on PATH that answers "env get-value" as azd does.
/// </summary>
public sealed class PreprovisionHookTests : IDisposable
{
    private const string Hook = "infra/hooks/preprovision.sh";

    private readonly string _bin = Directory.CreateTempSubdirectory("fake-azd-").FullName;

    public PreprovisionHookTests()
    {
        // Like azd: a value set in the environment is printed; a missing one is an error on stderr and exit 1.
        string azd = Path.Combine(_bin, "azd");
        File.WriteAllText(azd, """
            #!/bin/sh
            [ "$1 $2 $3" = "env get-value FAL_KEY" ] || { echo "fake azd: unexpected: $*" >&2; exit 2; }
            if [ "${FAKE_AZD_FAL_KEY+set}" = set ]; then printf '%s\n' "$FAKE_AZD_FAL_KEY"; exit 0; fi
            echo "ERROR: key 'FAL_KEY' not found in the environment values" >&2
            exit 1
            """.Replace("\r", "", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows()) // the hook under test is the posix one, run by bash
        {
            File.SetUnixFileMode(azd, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public void Dispose() => Directory.Delete(_bin, recursive: true);

    private Task<(int ExitCode, string Out, string Error)> RunHookAsync(string? falKey)
    {
        var environment = new Dictionary<string, string> { ["PATH"] = $"{_bin}:{Environment.GetEnvironmentVariable("PATH")}" };
        if (falKey is not null)
        {
            environment["FAKE_AZD_FAL_KEY"] = falKey;
        }

        return RepositoryScript.RunAsync(Hook, [], environment);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task WithoutFalKey_ProvisioningIsRefused_SayingHowToSetIt(string? falKey)
    {
        var (exit, _, error) = await RunHookAsync(falKey);

        Assert.NotEqual(0, exit);
        Assert.Contains("FAL_KEY is not set", error, StringComparison.Ordinal);
        Assert.Contains("azd env set FAL_KEY <id:secret>", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithFalKey_ProvisioningGoesOn_WithoutPrintingTheKey()
    {
        var (exit, output, error) = await RunHookAsync("key-id:key-secret");

        Assert.True(exit == 0, error);
        Assert.DoesNotContain("key-secret", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public void AzureYaml_RunsTheHookBeforeProvisioning_AndNeverCallsFalKeyOptional()
    {
        string azureYaml = RepositoryFiles.Read("azure.yaml");

        Assert.Matches(@"\n  preprovision:\n    posix:\n      shell: sh\n      run: infra/hooks/preprovision\.sh\n", azureYaml);
        Assert.Matches(@"\n    windows:\n      shell: pwsh\n      run: infra/hooks/preprovision\.ps1\n", azureYaml);
        Assert.DoesNotMatch(@"(?i)optional[^\n]*FAL_KEY", azureYaml);
    }
}
