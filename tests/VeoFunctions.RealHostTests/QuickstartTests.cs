using System.Text.RegularExpressions;
using VeoFunctions.RealHostTests.Infrastructure;
using VeoFunctions.Testing;
using Xunit.Abstractions;

namespace VeoFunctions.RealHostTests;

/// <summary>
/// The README's quickstart, run as printed: <c>scripts/run-local --demo</c> makes demo.mp4, and the quickstart's second
/// command makes another video while the app keeps running. Where Core Tools is not installed, a stand-in <c>func</c>
/// (shim/func) runs the real Functions host instead; what the real host does differently from a local
/// <c>func start</c> (building the app, keys) is the stand-in's business, not the user's commands'.
/// It uses run-local's fixed ports (7071, 9500, 10000–10002) and writes demo.mp4 and ball.mp4 at the repository root.
/// Every terminal frame of the README and docs/ is held against what this run printed (<see cref="Frames"/>).
/// </summary>
[Trait("Category", "RealHost")]
[Collection(RealHostCollection.Name)] // one host at a time: two cores
public sealed partial class QuickstartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(8);

    [SkippableFact]
    public async Task TheReadmesQuickstart_MakesTheDemoVideo_AndTheSecondCommandMakesAnother()
    {
        var launcher = RealHost.Require();
        var (first, second) = QuickstartCommands();
        Assert.Equal("scripts/run-local --demo", first);
        string demo = Path.Combine(Repository.Root, "demo.mp4"), made = Path.Combine(Repository.Root, OutFile(second));
        File.Delete(demo);
        File.Delete(made);

        var environment = new Dictionary<string, string?>();
        if (Repository.OnPath("func") is null)
        {
            environment["PATH"] = StandIn() + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
            environment["VEO_START_HOST"] = Path.GetFullPath(Path.Combine(Repository.Root, "..", "shared", "functions-host", "start-host"));
        }

        var erred = new List<string>();
        string watched = string.Empty;
        output.WriteLine($"Host: {(environment.Count > 0 ? "the stand-in func over " : string.Empty)}{launcher.Description}");
        using var runLocal = Script.Start(["-c", first], environment);
        string Printed() => runLocal.Printed;

        try
        {
            await Poll.UntilAsync(() => Printed().Contains("Your first video is", StringComparison.Ordinal) || runLocal.Process.HasExited, Patience, "run-local --demo to make its first video");
            Assert.True(!runLocal.Process.HasExited, $"run-local exited with {(runLocal.Process.HasExited ? runLocal.Process.ExitCode : 0)}:\n{Printed()}");
            Assert.True(IsMp4(demo), $"demo.mp4 is not an MP4:\n{Printed()}");

            var (exit, said) = await Script.PastedAsync(second, Patience);
            Assert.True(exit == 0, $"The quickstart's second command exited {exit}:\n{said}");
            Assert.True(IsMp4(made), $"{made} is not an MP4:\n{said}");
            output.WriteLine(Printed());
            output.WriteLine(said);
            watched = said;
            erred.AddRange(await ErrorsAsync(ErrorsWhileRunning));
        }
        finally
        {
            // run-local stops everything it started on Ctrl-C or SIGTERM (one trap). SIGTERM here: a shell cannot trap
            // SIGINT when the process that started it ignores it, as a test runner may.
            if (!runLocal.Process.HasExited)
            {
                using var stop = System.Diagnostics.Process.Start("kill", $"-TERM {runLocal.Process.Id}");
                await stop.WaitForExitAsync();
            }

            await runLocal.WaitForExitAsync(Patience);
        }

        int[] listening = [.. RunLocalPorts.Where(Listens)];
        Assert.True(listening.Length == 0, $"run-local left something listening on {string.Join(", ", listening)}");

        erred.AddRange(await ErrorsAsync(ErrorsOnceStopped));
        output.WriteLine(string.Join('\n', erred));

        // The README's frame of run-local and the closing line it quotes; docs/cli.md's frame of a watch in a pipe.
        Frames.AssertContains(Frames.In("README.md", f => f.Contains("VeoFunctions is running:", StringComparison.Ordinal)), runLocal.Printed, "run-local in the README");
        Frames.AssertContains(ReadmeQuotedEnd(), runLocal.Printed, "run-local's last line as the README quotes it");
        Frames.AssertShows(Frames.In(Path.Combine("docs", "cli.md"), f => f.Contains("Idempotency-Key:", StringComparison.Ordinal)), watched, "veo create --watch --out in docs/cli.md");

        // docs/cli.md's error lines: each is what one of these commands printed, in the frame's order.
        string errors = Frames.In(Path.Combine("docs", "cli.md"), f => f.StartsWith("veo: ", StringComparison.Ordinal));
        Assert.Equal(erred.Count, errors.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Frames.AssertShows(errors, string.Join('\n', erred), "veo's errors in docs/cli.md");

        // FramesTests holds that every frame of the README and docs/ is one of those above.
    }

    // What the error frame of docs/cli.md shows, in its order: input the app refuses, a job it does not have, an image
    // veo refuses before sending anything (made below), and (once run-local has stopped) an app that is not there.
    private static readonly string[] ErrorsWhileRunning =
    [
        """create -p "$(printf 'x%.0s' {1..5210})" -i https://10.0.0.5/cat.png""",
        "status nosuchjob",
        "create -p \"A fox\" -i photo.gif",
    ];

    private static readonly string[] ErrorsOnceStopped = ["list"];

    /// <summary>Runs each veo command (as run-local does, from the built CLI) and keeps the one error line it printed.</summary>
    private static async Task<List<string>> ErrorsAsync(string[] commands)
    {
        string folder = Directory.CreateTempSubdirectory("veo-errors-").FullName;
        await File.WriteAllBytesAsync(Path.Combine(folder, "photo.gif"), "GIF89a\u0001\u0000\u0001\u0000"u8.ToArray());
        var lines = new List<string>();
        foreach (string command in commands)
        {
            var (exit, said) = await Script.PastedAsync($"cd '{folder}' && dotnet run --no-build --project '{Path.Combine(Repository.Root, "src", "Veo.Cli")}' -- {command}", Patience);
            string[] errors = [.. said.Split('\n').Where(l => l.StartsWith("veo: ", StringComparison.Ordinal))];
            Assert.True(exit != 0 && errors.Length == 1, $"veo {command} exited {exit}, printing:\n{said}");
            lines.Add(errors[0]);
        }

        Directory.Delete(folder, recursive: true);
        return lines;
    }

    /// <summary>The closing line of run-local --demo as the README quotes it.</summary>
    private static string ReadmeQuotedEnd() =>
        QuotedEnd().Match(File.ReadAllText(Path.Combine(Repository.Root, "README.md"))) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("The README quotes no 'Your first video is …' line.");

    private static readonly int[] RunLocalPorts = [7071, 9500, 10000, 10001, 10002];

    private static bool Listens(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>The two commands of the README's quickstart block, each with its continuation lines joined.</summary>
    private static (string First, string Second) QuickstartCommands()
    {
        string readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var block = QuickstartBlock().Match(readme);
        Assert.True(block.Success, "README.md has no ```bash block under ## Quickstart");
        string[] commands = block.Groups[1].Value.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, commands.Length);
        return (commands[0], Regex.Replace(commands[1], @"\s+", " "));
    }

    private static string OutFile(string command) => OutOption().Match(command) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("The second command saves no --out file: " + command);

    private static bool IsMp4(string path) => File.Exists(path) && File.ReadAllBytes(path) is { Length: > 8 } bytes && bytes.AsSpan(4, 4).SequenceEqual("ftyp"u8);

    /// <summary>A folder holding the stand-in func, executable (a checkout may not keep the bit).</summary>
    private static string StandIn()
    {
        string dir = Directory.CreateTempSubdirectory("veo-func-").FullName;
        foreach (string file in new[] { "func", "keys-front.py" })
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, "shim", file), Path.Combine(dir, file));
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(dir, "func"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return dir;
    }

    [GeneratedRegex(@"## Quickstart.*?```bash\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex QuickstartBlock();

    [GeneratedRegex(@"`(Your first video is [^`]*)`")]
    private static partial Regex QuotedEnd();

    [GeneratedRegex(@"--out (\S+)")]
    private static partial Regex OutOption();
}
