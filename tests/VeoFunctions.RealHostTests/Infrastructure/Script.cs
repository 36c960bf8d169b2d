using System.Diagnostics;
using System.Text;

namespace VeoFunctions.RealHostTests.Infrastructure;

/// <summary>A bash process at the repository root, as a user runs the repository's scripts and commands, with everything it prints.</summary>
public sealed class Script : IDisposable
{
    private readonly StringBuilder _printed = new();

    private Script(Process process) => Process = process;

    public Process Process { get; }

    /// <summary>Everything it has printed so far, standard output and error as they came.</summary>
    public string Printed
    {
        get
        {
            lock (_printed)
            {
                return _printed.ToString();
            }
        }
    }

    /// <summary>Starts <c>bash ARGUMENTS</c> in a session of its own (so a signal to its group reaches all it starts).</summary>
    public static Script Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Repository.Root,
        };
        start.ArgumentList.Add("bash");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var script = new Script(Process.Start(start)!);
        script.Process.StandardInput.Close(); // no terminal, as in CI
        script.Process.OutputDataReceived += (_, e) => script.Append(e.Data);
        script.Process.ErrorDataReceived += (_, e) => script.Append(e.Data);
        script.Process.BeginOutputReadLine();
        script.Process.BeginErrorReadLine();
        return script;
    }

    /// <summary>Runs a script under the repository root (e.g. scripts/drop-manifest) to its end.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(string script, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, TimeSpan patience) =>
        RunToEndAsync([Path.Combine(Repository.Root, script), .. arguments], environment, patience);

    /// <summary>A command line as a user pastes it into a shell at the repository root, run to its end.</summary>
    public static Task<(int ExitCode, string Output)> PastedAsync(string command, TimeSpan patience) => RunToEndAsync(["-c", command], null, patience);

    /// <summary>Waits for it to exit; past <paramref name="patience"/> it is killed and the wait throws, saying what it printed.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan patience)
    {
        using var bound = new CancellationTokenSource(patience);
        try
        {
            await Process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
            throw new TimeoutException($"{string.Join(' ', Process.StartInfo.ArgumentList)} did not finish within {patience}; it printed:\n{Printed}");
        }

        Process.WaitForExit(); // drains the output events
        return Process.ExitCode;
    }

    public void Dispose() => Process.Dispose();

    private static async Task<(int ExitCode, string Output)> RunToEndAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment, TimeSpan patience)
    {
        using var script = Start(arguments, environment);
        int exit = await script.WaitForExitAsync(patience);
        return (exit, script.Printed);
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_printed)
            {
                _printed.AppendLine(line);
            }
        }
    }
}
