using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FalEmulator;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Testing;
using Xunit.Abstractions;

namespace VeoFunctions.RealHostTests.Infrastructure;

/// <summary>
/// The app as Azure runs it: its build output inside a real Functions host (<see cref="HostLauncher"/>), with its own
/// Azurite (the durable backend is the real Azure Storage provider) and its own fal emulator, which sends its webhooks
/// to the host. The host keeps its keys as files; <see cref="FunctionKey"/>, <see cref="MasterKey"/> and
/// <see cref="BlobsExtensionKey"/> are read from them.
/// </summary>
public sealed class RealHostApp : IAsyncDisposable
{
    /// <summary>Bounds a host start (worker start-up, extension start, first storage calls) on a busy 2-core machine.</summary>
    public static readonly TimeSpan StartPatience = TimeSpan.FromMinutes(3);

    /// <summary>Bounds the wait for a job or a file the app writes: only a hung test meets it.</summary>
    public static readonly TimeSpan JobPatience = TimeSpan.FromMinutes(4);

    private readonly ITestOutputHelper? _output;
    private readonly string _root;
    private readonly StringBuilder _log = new();
    private Process? _host;

    private RealHostApp(HostLauncher launcher, Azurite azurite, FalEmulatorHost fal, string root, int port, ITestOutputHelper? output)
    {
        Launcher = launcher;
        Azurite = azurite;
        Fal = fal;
        _root = root;
        _output = output;
        Port = port;
        BaseUrl = $"http://127.0.0.1:{port}";
        Http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromMinutes(2) };
    }

    public HostLauncher Launcher { get; }

    public Azurite Azurite { get; }

    public FalEmulatorHost Fal { get; }

    public int Port { get; }

    public string BaseUrl { get; }

    /// <summary>No key of its own (each request says which it carries: <see cref="WithKey"/>); redirects are answers, not followed.</summary>
    public HttpClient Http { get; }

    public string AppDirectory => Path.Combine(_root, "app");

    public string SecretsDirectory => Path.Combine(_root, "secrets");

    public string SettingsFile => Path.Combine(AppDirectory, "local.settings.json");

    public string FunctionKey { get; private set; } = string.Empty;

    public string MasterKey { get; private set; } = string.Empty;

    public string BlobsExtensionKey { get; private set; } = string.Empty;

    /// <summary>The host process (its worker is a child of it).</summary>
    public int HostProcessId => _host?.Id ?? throw new InvalidOperationException("The host is not running.");

    /// <summary>Everything the host has printed so far (its own log and its worker's).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <param name="configure">Changes to the app's settings (the Values of local.settings.json).</param>
    /// <param name="hostJson">Changes to the deployed host.json (e.g. an earlier release's durable version).</param>
    public static async Task<RealHostApp> StartAsync(
        HostLauncher launcher,
        ITestOutputHelper? output = null,
        EmulatorOptions? fal = null,
        Action<IDictionary<string, string>>? configure = null,
        Action<JsonObject>? hostJson = null)
    {
        ArgumentNullException.ThrowIfNull(launcher);
        var azurite = new Azurite();
        await azurite.InitializeAsync();
        FalEmulatorHost? emulator = null;
        string root = Directory.CreateTempSubdirectory("veo-realhost-").FullName;
        try
        {
            int port = LoopbackPorts.Free();
            fal ??= new EmulatorOptions();
            // fal waits a few seconds for a webhook's answer; a host on a busy test machine can take longer, and a
            // delivery that times out here would be fal's retry, not what a test means to show.
            fal.WebhookAttemptTimeout = Patience.Condition;
            emulator = await FalEmulatorHost.StartAsync(fal);
            var app = new RealHostApp(launcher, azurite, emulator, root, port, output);
            CopyDirectory(Repository.AppBuildOutput, app.AppDirectory);
            Directory.CreateDirectory(app.SecretsDirectory);
            app.WriteSettings(configure);
            if (hostJson is not null)
            {
                app.EditHostJson(hostJson);
            }

            await app.StartHostAsync();
            return app;
        }
        catch
        {
            if (emulator is not null)
            {
                await emulator.DisposeAsync();
            }

            await azurite.DisposeAsync();
            throw;
        }
    }

    /// <summary>A request with the function key in <c>x-functions-key</c>, as the CLI sends it.</summary>
    public HttpRequestMessage WithKey(HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add("x-functions-key", FunctionKey);
        return request;
    }

    /// <summary>POSTs a job with the function key; returns the answer.</summary>
    public Task<HttpResponseMessage> PostJobAsync(object body, string? idempotencyKey = null)
    {
        var request = WithKey(HttpMethod.Post, "/api/videos", JsonContent.Create(body));
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return Http.SendAsync(request);
    }

    /// <summary>GET /api/videos/{jobId} with the function key.</summary>
    public async Task<JsonElement> GetStatusAsync(string jobId)
    {
        using var response = await Http.SendAsync(WithKey(HttpMethod.Get, $"/api/videos/{jobId}"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /api/videos/{jobId}: {(int)response.StatusCode} {text}\n{Tail(80)}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asks for the job's status until <paramref name="until"/> holds (or the job has ended), and returns it.</summary>
    public async Task<JsonElement> WaitForStatusAsync(string jobId, Func<JsonElement, bool> until, string what)
    {
        JsonElement status = default;
        string seen = "nothing yet";
        try
        {
            await Poll.UntilAsync(
                async () =>
                {
                    status = await GetStatusAsync(jobId);
                    seen = status.GetProperty("phase").GetString() ?? "?";
                    return until(status) || IsEnded(seen);
                },
                JobPatience,
                TimeSpan.FromMilliseconds(250));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Gave up after {JobPatience} waiting for job {jobId} to be {what}; its last phase was '{seen}'.\n{Tail()}");
        }

        return status;
    }

    /// <summary>Waits until the job has ended, and returns its status.</summary>
    public Task<JsonElement> WaitForEndAsync(string jobId) => WaitForStatusAsync(jobId, _ => false, "ended");

    public static bool IsEnded(string phase) => phase is "completed" or "failed" or "cancelled";

    /// <summary>Stops the host (SIGTERM: it stops its worker and lets go of its partitions), waiting for it to exit.</summary>
    public async Task StopHostAsync()
    {
        if (_host is null)
        {
            return;
        }

        var host = _host;
        _host = null;
        if (!host.HasExited)
        {
            Signal(host.Id, "TERM");
            using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            try
            {
                await host.WaitForExitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                host.Kill(entireProcessTree: true);
                await host.WaitForExitAsync();
            }
        }

        host.Dispose();
    }

    /// <summary>
    /// A deploy: stops the host, publishes today's build of the app over the deployed one (host.json included), and
    /// starts the host again on the same storage and keys.
    /// </summary>
    public async Task RedeployAsync()
    {
        await StopHostAsync();
        CopyDirectory(Repository.AppBuildOutput, AppDirectory);
        await StartHostAsync();
    }

    /// <summary>The app's worker processes (children of the host running the app's assembly).</summary>
    public IReadOnlyList<int> WorkerProcessIds() =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(name => int.Parse(name!, CultureInfo.InvariantCulture))
            .Where(pid => ParentOf(pid) == HostProcessId && CommandLineOf(pid).Contains("VeoFunctions.dll", StringComparison.Ordinal))];

    /// <summary>SIGKILLs the worker: the host sees its channel die and starts a new one.</summary>
    public int KillWorker()
    {
        int worker = Assert.Single(WorkerProcessIds());
        Signal(worker, "KILL");
        return worker;
    }

    /// <summary>The last lines of the host's log, for a failure's message.</summary>
    public string Tail(int lines = 40)
    {
        string[] all = Log.Split('\n');
        return "Host log (last lines):\n" + string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public async ValueTask DisposeAsync()
    {
        await StopHostAsync();
        _output?.WriteLine($"[{Launcher.Description}] host log: {Log.Length} chars");
        Http.Dispose();
        await Fal.DisposeAsync();
        await Azurite.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a process that is ending: the temp folder is cleaned by the machine.
        }
    }

    private void WriteSettings(Action<IDictionary<string, string>>? configure)
    {
        string storage = Azurite.ConnectionString;
        var values = new Dictionary<string, string>
        {
            ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated",
            ["AzureWebJobsStorage"] = storage,
            ["JobsStorage"] = storage,
            ["Storage__ConnectionString"] = storage,
            ["Storage__JobsContainer"] = "jobs",
            ["Callbacks__SigningSecret"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            ["Fal__QueueBaseUrl"] = Fal.BaseUrl,
            ["Fal__RestBaseUrl"] = Fal.BaseUrl,
            ["Fal__JwksUrl"] = Fal.JwksUrl,
            ["Fal__PlatformBaseUrl"] = Fal.BaseUrl + "/v1",
            ["Fal__Key"] = "emulator-id:emulator-secret",
            ["Jobs__PublicBaseUrl"] = BaseUrl,
            ["Images__AllowHttp"] = "true",
            ["Images__AllowedPrivateHosts__0"] = "127.0.0.1",
            ["Fal__MediaHosts__0"] = "127.0.0.1", // the emulator serves fal's videos
        };
        configure?.Invoke(values);
        var settings = new JsonObject
        {
            ["IsEncrypted"] = false,
            ["Values"] = new JsonObject(values.Select(v => KeyValuePair.Create(v.Key, (JsonNode?)JsonValue.Create(v.Value)))),
        };
        File.WriteAllText(SettingsFile, settings.ToJsonString());
    }

    private void EditHostJson(Action<JsonObject> edit)
    {
        string path = Path.Combine(AppDirectory, "host.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private async Task StartHostAsync()
    {
        var info = Launcher.Command(new HostStart(AppDirectory, Port, SettingsFile, SecretsDirectory));
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var host = Process.Start(info) ?? throw new InvalidOperationException("The Functions host did not start.");
        host.OutputDataReceived += (_, e) => Append(e.Data);
        host.ErrorDataReceived += (_, e) => Append(e.Data);
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        _host = host;
        var started = Stopwatch.StartNew();
        await WaitUntilReadyAsync(host);
        _output?.WriteLine($"[{Launcher.Description}] ready on {BaseUrl} after {started.Elapsed.TotalSeconds:F1} s");
    }

    // Ready: the host answers, its keys exist, and the worker serves a keyed function (the app's routes are up).
    private async Task WaitUntilReadyAsync(Process host)
    {
        string stage = "the host to answer /admin/host/ping";
        try
        {
            await Poll.UntilAsync(
                async () =>
                {
                    if (host.HasExited)
                    {
                        throw new InvalidOperationException($"The Functions host exited with code {host.ExitCode} while starting.\n{Tail()}");
                    }

                    if (!await AnswersAsync(new HttpRequestMessage(HttpMethod.Get, "/admin/host/ping")))
                    {
                        return false;
                    }

                    stage = "the host's keys in " + SecretsDirectory;
                    if (!ReadKeys())
                    {
                        return false;
                    }

                    stage = "the app's worker to serve GET /api/budget";
                    return await AnswersAsync(WithKey(HttpMethod.Get, "/api/budget"));
                },
                StartPatience,
                TimeSpan.FromMilliseconds(500));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Gave up after {StartPatience} waiting for {stage}.\n{Tail()}");
        }
    }

    private async Task<bool> AnswersAsync(HttpRequestMessage request)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var response = await Http.SendAsync(request, cts.Token);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            return false;
        }
    }

    private bool ReadKeys()
    {
        string file = Path.Combine(SecretsDirectory, "host.json");
        if (!File.Exists(file))
        {
            return false;
        }

        try
        {
            var keys = JsonDocument.Parse(File.ReadAllText(file)).RootElement; // File.ReadAllText drops the BOM
            MasterKey = keys.GetProperty("masterKey").GetProperty("value").GetString()!;
            FunctionKey = keys.GetProperty("functionKeys")[0].GetProperty("value").GetString()!;
            BlobsExtensionKey = keys.GetProperty("systemKeys").EnumerateArray()
                .Where(k => k.GetProperty("name").GetString() == "blobs_extension")
                .Select(k => k.GetProperty("value").GetString()!)
                .FirstOrDefault() ?? string.Empty;
            return BlobsExtensionKey.Length > 0;
        }
        catch (Exception ex) when (ex is JsonException or IOException or KeyNotFoundException or IndexOutOfRangeException)
        {
            return false; // being written
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {pid}");
        kill.WaitForExit();
    }

    private static int ParentOf(int pid)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(rest[1], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return -1;
        }
    }

    private static string CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) != "local.settings.json")
            {
                File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
            }
        }
    }
}
