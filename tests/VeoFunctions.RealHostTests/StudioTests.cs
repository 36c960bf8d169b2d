using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using FalEmulator;
using PuppeteerSharp;
using VeoFunctions.RealHostTests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace VeoFunctions.RealHostTests;

/// <summary>
/// The Studio page (GET /api/studio/index.html) in a real browser (the system's Chromium), against the app in the real
/// host with Azurite and the fal emulator: what a person does on it, and what the page must never do (send a request
/// without the key header, put a secret in a URL, run a script its policy does not allow).
/// </summary>
[Trait("Category", "RealHost")]
[Trait("Tier", "Browser")] // scripts/test runs them in a lane of their own
[Collection(RealHostCollection.Name)]
public sealed class StudioTests(StudioFixture studio, ITestOutputHelper output) : IClassFixture<StudioFixture>
{
    /// <summary>Bounds what the page waits for a job: the same patience as the tier's own waits for a job.</summary>
    private static readonly int JobWaitMs = (int)RealHostApp.JobPatience.TotalMilliseconds;

    /// <summary>Bounds a page load, a click's answer, a video's first frame on a busy 2-core machine.</summary>
    private static readonly int PageWaitMs = (int)TimeSpan.FromMinutes(1).TotalMilliseconds;

    [SkippableFact]
    public async Task AJobMadeOnThePage_WithTwoSampleImages_Completes_AndItsVideoPlays()
    {
        var (app, browser) = studio.Require();
        long submits = app.Fal.State.GetCount(RequestKind.Submit);
        await using var page = await OpenStudioAsync(browser, app);

        string jobId = await MakeVideoAsync(page, "A red kite over the meadow, made in the Studio");
        await page.WaitForSelectorAsync(Card(jobId, "completed"), new WaitForSelectorOptions { Timeout = JobWaitMs });

        await page.ClickAsync($"{Card(jobId)} button.play");
        var played = await page.WaitForFunctionAsync(
            "sel => { const v = document.querySelector(sel); return v && v.readyState >= 2 && v.duration > 0 && [v.readyState, v.duration]; }",
            new WaitForFunctionOptions { Timeout = PageWaitMs, PollingInterval = 250 },
            $"{Card(jobId)} video");
        output.WriteLine($"<video> readyState, duration: {await played.JsonValueAsync<JsonElement>()}");

        var status = await app.GetStatusAsync(jobId);
        Assert.Equal("completed", status.GetProperty("phase").GetString());
        Assert.Equal(submits + 1, app.Fal.State.GetCount(RequestKind.Submit)); // one job, one submission
        await StudioFixture.ScreenshotAsync(page, "studio-gallery.png", output);
    }

    [SkippableFact]
    public async Task ARefusedInput_ShowsTheAppsProblem_NextToItsField_AndAFileThePageRefuses_IsNeverSent()
    {
        var (app, browser) = studio.Require();
        long submits = app.Fal.State.GetCount(RequestKind.Submit);
        await using var page = await OpenStudioAsync(browser, app);
        var posts = new ConcurrentQueue<string>();
        page.Request += (_, e) =>
        {
            if (e.Request.Method == HttpMethod.Post)
            {
                posts.Enqueue(e.Request.Url);
            }
        };

        // A file that is not an image: the page says so by the field and sends nothing.
        await page.TypeAsync("#prompt", "A refused kite");
        await (await page.QuerySelectorAsync("#images")).UploadFileAsync(Path.Combine(Repository.Root, "README.md"));
        await page.ClickAsync("#submit");
        Assert.Contains("not a PNG, JPEG or WebP", await TextAsync(page, "#err-images"), StringComparison.Ordinal);
        Assert.Empty(posts);

        // A seed the model does not take: the app refuses it (400), and its words stand next to the seed field.
        await UploadSamplesAsync(page);
        await page.TypeAsync("#seed", "99999999999");
        await page.ClickAsync("#submit");
        await page.WaitForFunctionAsync("() => document.querySelector('#err-seed').textContent.length > 0", new WaitForFunctionOptions { Timeout = PageWaitMs });
        string said = await TextAsync(page, "#err-seed");
        output.WriteLine($"#err-seed: {said}");
        Assert.Contains("4294967295", said, StringComparison.Ordinal);
        Assert.Equal("true", await page.EvaluateExpressionAsync<string>("document.querySelector('#seed').getAttribute('aria-invalid')"));
        Assert.Single(posts);
        Assert.Equal(submits, app.Fal.State.GetCount(RequestKind.Submit));
    }

    [SkippableFact]
    public async Task AnOverBudgetStart_ShowsThe402_WithWhenTheBudgetResets()
    {
        var (app, browser) = studio.Require();
        await using var page = await OpenStudioAsync(browser, app);

        await page.TypeAsync("#prompt", "A 4k kite with its own soundtrack");
        await UploadSamplesAsync(page);
        await page.SelectAsync("#resolution", "4k");
        await page.ClickAsync("#generate_audio");
        await page.ClickAsync("#submit");
        await page.WaitForSelectorAsync("#form-problem:not([hidden])", new WaitForSelectorOptions { Timeout = PageWaitMs });

        string shown = await TextAsync(page, "#form-problem");
        output.WriteLine($"#form-problem: {shown}");
        using var budget = await app.Http.SendAsync(app.WithKey(HttpMethod.Get, "/api/budget"));
        string resetsAt = JsonDocument.Parse(await budget.Content.ReadAsStringAsync()).RootElement.GetProperty("resetsAt").GetString()!;
        string resetShown = await page.EvaluateFunctionAsync<string>("iso => new Date(iso).toLocaleString()", resetsAt);
        Assert.Contains("402", shown, StringComparison.Ordinal);
        Assert.Contains($"resets {resetShown}", shown, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task ARunningJob_IsCancelledFromThePage()
    {
        var (app, browser) = studio.Require();
        string stuck = app.Fal.State.AddFault(FaultRule.Generation(FaultKind.Stuck, promptContains: "kite that never lands"));
        try
        {
            await using var page = await OpenStudioAsync(browser, app);
            string jobId = await MakeVideoAsync(page, "A kite that never lands");
            await page.WaitForSelectorAsync(Card(jobId, "generating"), new WaitForSelectorOptions { Timeout = JobWaitMs });
            await StudioFixture.ScreenshotAsync(await page.QuerySelectorAsync(Card(jobId)), "studio-running-card.png", output);

            await ClickButtonAsync(page, Card(jobId), "Cancel…");
            Assert.Contains("may still finish and bill it", await TextAsync(page, Card(jobId)), StringComparison.Ordinal);
            await ClickButtonAsync(page, Card(jobId), "Cancel the job");
            await page.WaitForSelectorAsync(Card(jobId, "cancelled"), new WaitForSelectorOptions { Timeout = JobWaitMs });

            Assert.Equal("cancelled", (await app.GetStatusAsync(jobId)).GetProperty("phase").GetString());
        }
        finally
        {
            app.Fal.State.RemoveFault(stuck);
        }
    }

    [SkippableFact]
    public async Task AParkedArchive_IsResumedFromThePage_AndItsVideoIsArchived()
    {
        var (app, browser) = studio.Require();
        string outage = app.Fal.State.AddFault(FaultRule.CallHttpError(RequestKind.FileGet, 503, count: null));
        string jobId;
        try
        {
            jobId = await Samples.StartAsync(app, Samples.Job("A kite caught in a CDN outage"));
            var parked = await app.WaitForStatusAsync(jobId, s => s.TryGetProperty("lastError", out var e) && e.GetString()?.Contains("resume", StringComparison.Ordinal) == true, "parked, waiting for a resume");
            Assert.Equal("archiving", parked.GetProperty("phase").GetString());
        }
        finally
        {
            app.Fal.State.RemoveFault(outage);
        }

        await using var page = await OpenStudioAsync(browser, app);
        await page.WaitForSelectorAsync(Card(jobId, "archiving"), new WaitForSelectorOptions { Timeout = PageWaitMs });
        await ClickButtonAsync(page, Card(jobId), "Resume archive");
        await page.WaitForSelectorAsync(Card(jobId, "completed"), new WaitForSelectorOptions { Timeout = JobWaitMs });

        Assert.Equal("ftyp"u8.ToArray(), (await Samples.DownloadAsync(app, jobId))[4..8]);
    }

    [SkippableFact]
    public async Task ThePage_SendsEveryApiRequestWithTheKeyHeader_AndNoSecretInAUrl_AndKeepsTheKeyForTheSessionOnly()
    {
        var (app, browser) = studio.Require();
        string jobId = await Samples.StartAsync(app, Samples.Job("A kite, watched for its headers"));
        await app.WaitForEndAsync(jobId);
        var requests = new ConcurrentQueue<(string Url, IDictionary<string, string> Headers)>();
        await using var page = await browser.NewPageAsync();
        page.Request += (_, e) => requests.Enqueue((e.Request.Url, e.Request.Headers));

        await OpenStudioAsync(page, app);
        await page.WaitForSelectorAsync(Card(jobId, "completed"), new WaitForSelectorOptions { Timeout = PageWaitMs });
        await page.ClickAsync($"{Card(jobId)} button.play");
        await page.WaitForFunctionAsync("sel => { const v = document.querySelector(sel); return v && v.readyState >= 2; }", new WaitForFunctionOptions { Timeout = PageWaitMs }, $"{Card(jobId)} video");
        await page.ClickAsync("#refresh");
        await page.WaitForSelectorAsync(Card(jobId, "completed"), new WaitForSelectorOptions { Timeout = PageWaitMs });

        var api = requests.Where(r => new Uri(r.Url).AbsolutePath.StartsWith("/api/", StringComparison.Ordinal) && !new Uri(r.Url).AbsolutePath.StartsWith("/api/studio/", StringComparison.Ordinal)).ToList();
        Assert.Contains(api, r => r.Url.EndsWith("/api/budget", StringComparison.Ordinal));
        Assert.Contains(api, r => r.Url.Contains($"/api/videos/{jobId}", StringComparison.Ordinal));
        Assert.All(api, r => Assert.True(r.Headers.TryGetValue("x-functions-key", out var key) && key == app.FunctionKey, $"{r.Url} went without the key header"));
        Assert.All(requests, r => Assert.True(
            !r.Url.Contains(app.FunctionKey, StringComparison.Ordinal) && !r.Url.Contains("code=", StringComparison.OrdinalIgnoreCase),
            $"a request put the function key in its URL: {new Uri(r.Url).GetLeftPart(UriPartial.Path)}"));
        // The video came from the storage host, over the link the app made; the studio's files came without any key.
        Assert.Contains(requests, r => new Uri(r.Url).Port == app.Azurite.BlobPort && new Uri(r.Url).AbsolutePath.EndsWith(".mp4", StringComparison.Ordinal));
        Assert.All(requests.Where(r => new Uri(r.Url).AbsolutePath.StartsWith("/api/studio/", StringComparison.Ordinal)), r => Assert.False(r.Headers.ContainsKey("x-functions-key")));

        Assert.Equal(app.FunctionKey, await page.EvaluateExpressionAsync<string>("sessionStorage.getItem('veoStudio.key')"));
        Assert.Null(await page.EvaluateExpressionAsync<string?>("localStorage.getItem('veoStudio.key')"));
        Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.cookie.length"));
    }

    [SkippableFact]
    public async Task ThePagesPolicy_RefusesAnInjectedInlineScript_AndEveryControlHasALabel()
    {
        var (app, browser) = studio.Require();
        using (var raw = await app.Http.GetAsync(new Uri("/api/studio/index.html", UriKind.Relative)))
        {
            string policy = string.Join(";", raw.Headers.GetValues("Content-Security-Policy"));
            output.WriteLine($"Content-Security-Policy: {policy}");
            Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
            Assert.Contains($"media-src 'self' http://127.0.0.1:{app.Azurite.BlobPort}", policy, StringComparison.Ordinal);
        }

        await using var page = await OpenStudioAsync(browser, app);
        var refused = await page.EvaluateFunctionAsync<string[]>(
            """
            () => new Promise(resolve => {
              const seen = [];
              document.addEventListener('securitypolicyviolation', e => { seen.push(e.effectiveDirective); resolve(seen); });
              const s = document.createElement('script');
              s.textContent = 'window.injected = true;';
              document.head.append(s);
              setTimeout(() => resolve(seen), 2000);
            })
            """);
        Assert.Contains("script-src-elem", refused);
        Assert.False(await page.EvaluateExpressionAsync<bool>("window.injected === true"));

        string[] unlabelled = await page.EvaluateExpressionAsync<string[]>(
            "[...document.querySelectorAll('input, select, textarea')].filter(e => e.labels.length === 0).map(e => e.id)");
        Assert.Empty(unlabelled);

        using var missing = await app.Http.GetAsync(new Uri("/api/studio/..%2Fhost.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    // --- the page, as a person uses it ---

    private static async Task<IPage> OpenStudioAsync(IBrowser browser, RealHostApp app)
    {
        var page = await browser.NewPageAsync();
        await OpenStudioAsync(page, app);
        return page;
    }

    // Types the key as a person does (keyboard only: Enter submits), and waits for the studio to show.
    private static async Task OpenStudioAsync(IPage page, RealHostApp app)
    {
        await page.SetViewportAsync(new ViewPortOptions { Width = 1280, Height = 900 });
        await page.GoToAsync(app.BaseUrl + "/api/studio/index.html", new NavigationOptions { Timeout = PageWaitMs });
        await page.TypeAsync("#key", app.FunctionKey);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync("#studio:not([hidden])", new WaitForSelectorOptions { Timeout = PageWaitMs });
    }

    private static async Task UploadSamplesAsync(IPage page) =>
        await (await page.QuerySelectorAsync("#images")).UploadFileAsync(
            Path.Combine(Repository.Root, "samples", "meadow.png"), Path.Combine(Repository.Root, "samples", "ball.jpg"));

    // Makes a video as a person does, and returns the id of the job the page shows for it (its card is put first).
    private static async Task<string> MakeVideoAsync(IPage page, string prompt)
    {
        await page.TypeAsync("#prompt", prompt);
        await UploadSamplesAsync(page);
        await page.ClickAsync("#submit");
        await page.WaitForFunctionAsync("() => !document.querySelector('#submit').disabled && document.querySelector('#gallery > li.card')", new WaitForFunctionOptions { Timeout = PageWaitMs });
        string problem = await TextAsync(page, "#form-problem");
        Assert.True(string.IsNullOrEmpty(problem), problem);
        return await page.EvaluateExpressionAsync<string>("document.querySelector('#gallery > li.card').dataset.jobId");
    }

    private static string Card(string jobId, string? phase = null) =>
        $"#gallery li.card[data-job-id=\"{jobId}\"]" + (phase is null ? string.Empty : $"[data-phase=\"{phase}\"]");

    private static async Task ClickButtonAsync(IPage page, string within, string label)
    {
        var handle = await page.WaitForFunctionAsync(
            "(sel, label) => [...document.querySelectorAll(sel + ' button')].find(b => b.textContent === label && !b.disabled)",
            new WaitForFunctionOptions { Timeout = PageWaitMs }, within, label);
        await ((IElementHandle)handle).ClickAsync();
    }

    private static Task<string> TextAsync(IPage page, string selector) =>
        page.EvaluateFunctionAsync<string>("sel => document.querySelector(sel)?.textContent ?? ''", selector);
}

/// <summary>
/// One app and one browser for the Studio's tests: a daily budget with room for their jobs but not for a 4k clip with
/// audio (its rate set high), an archive that parks at once when fal's CDN fails (a short horizon, short retries), and
/// a fal that stops a running request when asked (so a cancel ends at once).
/// </summary>
public sealed class StudioFixture(IMessageSink sink) : IAsyncLifetime
{
    private RealHostApp? _app;
    private IBrowser? _browser;
    private string _why = HostLauncher.NoneFound;

    /// <summary>Where the tests' screenshots go (TestResults is not committed; docs/images holds the README's copies).</summary>
    public static string Artifacts => Path.Combine(Repository.Root, "tests", "VeoFunctions.RealHostTests", "TestResults", "studio");

    public async Task InitializeAsync()
    {
        if (HostLauncher.Current is not { } launcher)
        {
            return;
        }

        var (chromium, why) = await Chromium.FindAsync();
        if (chromium is null)
        {
            _why = why;
            sink.OnMessage(new DiagnosticMessage("Studio browser tests: " + why));
            return;
        }

        _app = await RealHostApp.StartAsync(
            launcher,
            fal: new EmulatorOptions { CancelInProgress = CancelInProgressMode.Stop },
            configure: values =>
            {
                values["Money__DailyBudgetUsd"] = "50";
                values["Money__Rates__4k__WithAudio"] = "100";
                values["Jobs__ArchiveHorizon"] = "00:00:00.100";
                values["Jobs__FirstRetryInterval"] = "00:00:00.500";
                values["Jobs__MaxActivityAttempts"] = "2";
                values["Jobs__FirstStatusCheck"] = "00:00:02"; // a job without a webhook yet (held at fal) shows its phase soon
                values["Jobs__MaxStatusCheckInterval"] = "00:00:05";
            });
        _browser = await Chromium.LaunchAsync(chromium);
        sink.OnMessage(new DiagnosticMessage($"Studio browser tests: {await _browser.GetVersionAsync()} ({chromium})"));
    }

    public (RealHostApp App, IBrowser Browser) Require()
    {
        Skip.If(_app is null || _browser is null, _why);
        return (_app!, _browser!);
    }

    public static Task ScreenshotAsync(IPage page, string name, ITestOutputHelper output) =>
        Save(name, output, path => page.ScreenshotAsync(path, new ScreenshotOptions { FullPage = true }));

    public static Task ScreenshotAsync(IElementHandle element, string name, ITestOutputHelper output) =>
        Save(name, output, path => element.ScreenshotAsync(path));

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
            await _browser.DisposeAsync();
        }

        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private static async Task Save(string name, ITestOutputHelper output, Func<string, Task> shoot)
    {
        Directory.CreateDirectory(Artifacts);
        string path = Path.Combine(Artifacts, name);
        await shoot(path);
        output.WriteLine($"Screenshot: {path}");
    }
}
