using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Veo.Cli.Tests.Support;

/// <summary>
/// A stand-in for VeoFunctions' public HTTP API on real Kestrel: the function-key check, create with Idempotency-Key
/// replay and conflict, scripted job progressions, list pages, cancel, resume, and the video behind a storage-like
/// host on a second port (another origin, as a SAS link is), so a test can see where the key went.
/// </summary>
internal sealed class FakeVeoApi : IAsyncDisposable
{
    public const string Key = "test-function-key";

    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, JobScript> jobs = new();
    private readonly ConcurrentDictionary<string, (string Fingerprint, string JobId)> keys = new();
    private int created;

    private FakeVeoApi(WebApplication app) => this.app = app;

    public Uri AppUrl { get; private set; } = null!;

    public Uri BlobUrl { get; private set; } = null!;

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    /// <summary>Answers for the next creates, before any job is made (a 409 "in progress", a 400…).</summary>
    public ConcurrentQueue<Func<HttpResponse, Task>> CreateAnswers { get; } = new();

    /// <summary>Answers for the next status requests, before the script is asked (an outage mid-watch).</summary>
    public ConcurrentQueue<Func<HttpResponse, Task>> StatusAnswers { get; } = new();

    /// <summary>Pages of <c>GET /api/videos</c> by the continuation token that asks for them ("" for the first).</summary>
    public Dictionary<string, (string[] JobIds, string? Next)> Pages { get; } = [];

    /// <summary>The MP4 the storage host serves.</summary>
    public byte[] Video { get; set; } = RandomNumberGenerator.GetBytes(200_000);

    /// <summary>Job ids the next creates are given, so tests can script them first.</summary>
    public ConcurrentQueue<string> NextJobIds { get; } = new();

    /// <summary>Status for <c>cancel</c> and <c>resume</c> (202 or 409).</summary>
    public HttpStatusCode ControlAnswer { get; set; } = HttpStatusCode.Accepted;

    /// <summary>Called as each status is served, with how many the job has had.</summary>
    public Action<string, int>? OnStatus { get; set; }

    public IEnumerable<SeenRequest> To(string method, string pathStart) =>
        Requests.Where(r => r.Method == method && r.PathAndQuery.StartsWith(pathStart, StringComparison.Ordinal));

    public static async Task<FakeVeoApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0", "http://127.0.0.1:0");
        var fake = new FakeVeoApi(builder.Build());
        fake.Map();
        await fake.app.StartAsync();
        var addresses = fake.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a)).OrderBy(a => a.Port).ToArray();
        fake.AppUrl = addresses[0];
        fake.BlobUrl = addresses[1];
        return fake;
    }

    /// <summary>The script of <paramref name="jobId"/>, made on first use.</summary>
    public JobScript Job(string jobId) => jobs.GetOrAdd(jobId, id => new JobScript(this, id));

    public JsonObject VideoJson(JobScript job)
    {
        string blobName = $"2026/11/24/{job.JobId}.mp4";
        return new JsonObject
        {
            ["container"] = "videos",
            ["blobName"] = blobName,
            ["blobUrl"] = $"https://private.example/videos/{blobName}",
            ["manifestBlobName"] = $"2026/11/24/{job.JobId}.json",
            ["bytes"] = job.ReportedBytes ?? Video.Length,
            ["contentType"] = "video/mp4",
            ["downloadUrl"] = job.Link switch
            {
                LinkMode.Fresh => new Uri(BlobUrl, $"blob/{job.JobId}.mp4?sig=fresh").AbsoluteUri,
                LinkMode.Expired => new Uri(BlobUrl, $"blob/{job.JobId}.mp4?sig=expired").AbsoluteUri,
                _ => null,
            },
            ["downloadUrlExpiresAt"] = job.Link == LinkMode.None ? null : JobScript.CreatedAt.AddHours(1),
        };
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private void Map()
    {
        app.Use(async (context, next) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            Requests.Enqueue(new SeenRequest(
                context.Request.Method,
                context.Request.Path + context.Request.QueryString,
                context.Connection.LocalPort,
                context.Request.Headers["x-functions-key"].FirstOrDefault(),
                context.Request.Headers["Idempotency-Key"].FirstOrDefault(),
                body.ToArray()));
            context.Request.Body = new MemoryStream(body.ToArray());
            bool onApp = context.Connection.LocalPort == AppUrl.Port;
            if (onApp != context.Request.Path.StartsWithSegments("/api"))
            {
                context.Response.StatusCode = 404;
                return;
            }

            // As the Functions host does: a missing or wrong key is a bare 401.
            if (onApp && context.Request.Headers["x-functions-key"] != Key)
            {
                context.Response.StatusCode = 401;
                return;
            }

            await next(context);
        });

        app.MapPost("/api/videos", CreateAsync);
        app.MapGet("/api/videos", ListAsync);
        app.MapGet("/api/videos/{jobId}", StatusAsync);
        app.MapGet("/api/videos/{jobId}/video", (string jobId, HttpResponse response) => VideoRedirectAsync(jobId, response));
        app.MapPost("/api/videos/{jobId}/cancel", (string jobId, HttpResponse response) => ControlAsync(jobId, response, "cancelRequested"));
        app.MapPost("/api/videos/{jobId}/resume", (string jobId, HttpResponse response) => ControlAsync(jobId, response, "resumeRequested"));
        app.MapPost("/api/manifests/run", (HttpContext context) =>
            context.Response.WriteAsJsonAsync(new JsonObject
            {
                ["manifest"] = context.Request.Query["name"].ToString(),
                ["outcome"] = "started",
                ["notRetried"] = context.Request.Query["failed"] == "true"
                    ? new JsonArray(new JsonObject { ["index"] = 2, ["id"] = "shot-3", ["jobId"] = "m0000000000000000000000000000abc", ["reason"] = "resumable" })
                    : new JsonArray(),
            }));
        app.MapGet("/blob/{name}", BlobAsync);
    }

    private async Task CreateAsync(HttpContext context)
    {
        if (CreateAnswers.TryDequeue(out var answer))
        {
            await answer(context.Response);
            return;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        string fingerprint = Convert.ToHexString(SHA256.HashData(buffer.ToArray()));
        string? key = context.Request.Headers["Idempotency-Key"];
        bool replayed = false;
        string jobId;
        if (key is not null && keys.TryGetValue(key, out var earlier))
        {
            if (earlier.Fingerprint != fingerprint)
            {
                await Problem(context.Response, 422, "idempotency-key-reused", "This Idempotency-Key was already used for a different request; nothing new was started. Use a new key for a new request.");
                return;
            }

            (jobId, replayed) = (earlier.JobId, true);
        }
        else
        {
            jobId = NextJobIds.TryDequeue(out var next) ? next : $"job-{Interlocked.Increment(ref created)}";
            if (key is not null)
            {
                keys[key] = (fingerprint, jobId);
            }
        }

        string statusUrl = new Uri(AppUrl, "api/videos/" + jobId).AbsoluteUri;
        context.Response.StatusCode = 202;
        context.Response.Headers.Location = statusUrl;
        await context.Response.WriteAsJsonAsync(new JsonObject { ["jobId"] = jobId, ["statusUrl"] = statusUrl, ["replayed"] = replayed });
    }

    private async Task StatusAsync(string jobId, HttpResponse response)
    {
        if (StatusAnswers.TryDequeue(out var answer))
        {
            await answer(response);
            return;
        }

        if (!jobs.TryGetValue(jobId, out var job))
        {
            await Problem(response, 404, "not-found", "No job has that id.");
            return;
        }

        string json = job.Next();
        OnStatus?.Invoke(jobId, job.Served);
        response.ContentType = "application/json; charset=utf-8";
        await response.WriteAsync(json);
    }

    private async Task ListAsync(HttpContext context)
    {
        string token = context.Request.Query["continuationToken"].FirstOrDefault() ?? string.Empty;
        if (!Pages.TryGetValue(token, out var page))
        {
            await Problem(context.Response, 400, "invalid-request", "continuationToken is not one this endpoint returned.");
            return;
        }

        var list = new JsonArray(page.JobIds.Select(id => (JsonNode?)jobs[id].Peek().DeepClone()).ToArray());
        await context.Response.WriteAsJsonAsync(new JsonObject { ["jobs"] = list, ["continuationToken"] = page.Next });
    }

    private async Task VideoRedirectAsync(string jobId, HttpResponse response)
    {
        if (!jobs.TryGetValue(jobId, out var job))
        {
            await Problem(response, 404, "not-found", "No job has that id.");
        }
        else if (!job.HasVideo)
        {
            await Problem(response, 409, "conflict", "The job has no video yet.");
        }
        else
        {
            response.Redirect(new Uri(BlobUrl, $"blob/{jobId}.mp4?sig=fresh").AbsoluteUri);
        }
    }

    private async Task ControlAsync(string jobId, HttpResponse response, string flag)
    {
        if (!jobs.ContainsKey(jobId))
        {
            await Problem(response, 404, "not-found", "No job has that id.");
        }
        else if (ControlAnswer == HttpStatusCode.Conflict)
        {
            await Problem(response, 409, "conflict", "The job has already ended.");
        }
        else
        {
            response.StatusCode = 202;
            await response.WriteAsJsonAsync(new JsonObject { ["jobId"] = jobId, [flag] = true });
        }
    }

    private async Task BlobAsync(string name, HttpContext context)
    {
        if (context.Request.Query["sig"] != "fresh")
        {
            context.Response.StatusCode = 403;
            return;
        }

        context.Response.ContentType = "video/mp4";
        context.Response.ContentLength = Video.Length;
        await context.Response.Body.WriteAsync(Video);
    }

    public static async Task Problem(HttpResponse response, int status, string type, string detail, JsonObject? errors = null, JsonObject? extra = null)
    {
        response.StatusCode = status;
        response.ContentType = "application/problem+json";
        var problem = new JsonObject
        {
            ["type"] = "https://veofunctions.dev/problems/" + type,
            ["title"] = "Problem.",
            ["status"] = status,
            ["detail"] = detail,
        };
        if (errors is not null)
        {
            problem["errors"] = errors;
        }

        foreach (var (name, value) in extra ?? [])
        {
            problem[name] = value?.DeepClone();
        }

        await response.WriteAsync(problem.ToJsonString());
    }
}
