using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// The app's real answers against its OpenAPI document (<c>src/VeoFunctions/Contract/openapi.json</c>): every route is
/// driven through the HTTP front as far as one pipeline can take it (a job that completes, one that fails, a manifest,
/// the budget running out, every refusal of bad input), and each answer's status must be listed for its route, its
/// listed headers present, and its JSON body valid against the schema listed for it. fal's own webhook deliveries
/// during the run are held to the webhook route's statuses too. Routes and auth levels against the functions'
/// metadata: OpenApiContractTests.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class ContractConformanceTests(Azurite azurite)
{
    private static readonly string Png = TestImages.DataUri(TestImages.Png());

    private static object Job(string prompt, params string[] images) => new { prompt, image_urls = images.Length > 0 ? images : [Png] };

    [Fact]
    public async Task EveryAnswerOfEveryRoute_IsListedInTheOpenApiDocument_AndItsBodyValidates()
    {
        // Room for three jobs' estimates ($3.20 each) but not a fourth; bodies over 64 KB are too large.
        var settings = new Dictionary<string, string?> { ["Money:DailyBudgetUsd"] = "12", ["Jobs:MaxRequestBytes"] = "65536" };
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: settings);
        // A redirect is an answer to check, not to follow.
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = pipeline.Functions.BaseUrl };
        var api = new Answers(http, ContractFiles.OpenApi());

        await api.CheckAsync(Get("/api/openapi.json"), "/openapi.json", HttpStatusCode.OK);
        await api.CheckAsync(Get("/api/health"), "/health", HttpStatusCode.OK);
        await api.CheckAsync(Get("/api/budget"), "/budget", HttpStatusCode.OK);

        // Refusals of bad input.
        await api.CheckAsync(Start(new StringContent("prompt=x", Encoding.UTF8, "text/plain")), "/videos", HttpStatusCode.UnsupportedMediaType);
        await api.CheckAsync(Start(JsonContent.Create(new { })), "/videos", HttpStatusCode.BadRequest);
        await api.CheckAsync(Start(JsonContent.Create(Job(new string('x', 70_000)))), "/videos", HttpStatusCode.RequestEntityTooLarge);
        await api.CheckAsync(Start(JsonContent.Create(Job("x")), key: ""), "/videos", HttpStatusCode.BadRequest);
        await api.CheckAsync(Get("/api/videos?top=0"), "/videos", HttpStatusCode.BadRequest);
        await api.CheckAsync(Get("/api/videos/no-such-job"), "/videos/{jobId}", HttpStatusCode.NotFound);
        await api.CheckAsync(Get("/api/videos/no-such-job/video"), "/videos/{jobId}/video", HttpStatusCode.NotFound);
        await api.CheckAsync(Post("/api/videos/no-such-job/cancel"), "/videos/{jobId}/cancel", HttpStatusCode.NotFound);
        await api.CheckAsync(Post("/api/videos/no-such-job/resume"), "/videos/{jobId}/resume", HttpStatusCode.NotFound);
        await api.CheckAsync(Post("/api/manifests/run"), "/manifests/run", HttpStatusCode.BadRequest);
        await api.CheckAsync(Post("/api/manifests/run?name=contract/none.json"), "/manifests/run", HttpStatusCode.NotFound);
        await api.CheckAsync(Post("/api/fal/webhook"), "/fal/webhook", HttpStatusCode.BadRequest);
        await api.CheckAsync(Post("/api/fal/webhook?job=" + JobScheduler.JobIdFor("forged")), "/fal/webhook", HttpStatusCode.Unauthorized);

        // A job that fails (its image is not there): ended without a video. Its reservation is given back at its end.
        var failing = await api.CheckAsync(Start(JsonContent.Create(Job("A heron", $"{pipeline.Fal.BaseUrl}/no-such-image.png"))), "/videos", HttpStatusCode.Accepted);
        string failed = failing.GetProperty("jobId").GetString()!;
        await pipeline.WaitForJobAsync(failed);
        await api.CheckAsync(Get($"/api/videos/{failed}"), "/videos/{jobId}", HttpStatusCode.OK);
        await api.CheckAsync(Get($"/api/videos/{failed}/video"), "/videos/{jobId}/video", HttpStatusCode.Conflict);
        await api.CheckAsync(Post($"/api/videos/{failed}/cancel"), "/videos/{jobId}/cancel", HttpStatusCode.Conflict);
        await api.CheckAsync(Post($"/api/videos/{failed}/resume"), "/videos/{jobId}/resume", HttpStatusCode.Conflict);

        // A manifest's job, then two jobs by Idempotency-Key: the day's budget is then full.
        var door = await ManifestDoor.OpenAsync(pipeline);
        await door.DropAsync("contract/one.json", Job("A fox in the snow"));
        await api.CheckAsync(Post("/api/manifests/run?name=contract/one.json"), "/manifests/run", HttpStatusCode.OK);
        string completing = (await api.CheckAsync(Start(JsonContent.Create(Job("A fox")), "contract-a"), "/videos", HttpStatusCode.Accepted)).GetProperty("jobId").GetString()!;
        await api.CheckAsync(Start(JsonContent.Create(Job("A fox")), "contract-a"), "/videos", HttpStatusCode.Accepted);
        await api.CheckAsync(Start(JsonContent.Create(Job("Another fox")), "contract-a"), "/videos", HttpStatusCode.UnprocessableEntity);
        string cancelled = (await api.CheckAsync(Start(JsonContent.Create(Job("A wolf")), "contract-c"), "/videos", HttpStatusCode.Accepted)).GetProperty("jobId").GetString()!;
        await api.CheckAsync(Start(JsonContent.Create(Job("A bear")), "contract-d"), "/videos", HttpStatusCode.PaymentRequired);
        await api.CheckAsync(Post($"/api/videos/{cancelled}/cancel"), "/videos/{jobId}/cancel", HttpStatusCode.Accepted); // at once: before fal is done with it

        // Another request holds this key's claim and has not started its job yet: this one is told the first is in progress.
        byte[] waiting = JsonSerializer.SerializeToUtf8Bytes(Job("An owl"));
        string waitingId = JobScheduler.JobIdFor("contract-wait");
        await pipeline.Work.GetBlobClient(JobClaims.BlobName(waitingId)).UploadAsync(BinaryData.FromObjectAsJson(
            new { fingerprint = JobScheduler.Fingerprint(waiting), claimedAt = DateTimeOffset.UtcNow, attempt = "another-request" },
            new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        await api.CheckAsync(Start(new ByteArrayContent(waiting) { Headers = { ContentType = new("application/json") } }, "contract-wait"), "/videos", HttpStatusCode.Conflict);

        await api.CheckAsync(Get("/api/videos?top=10"), "/videos", HttpStatusCode.OK);
        await api.CheckAsync(Get("/api/budget"), "/budget", HttpStatusCode.OK);

        // The job that completes: its video, and what a cancel of an ended job answers.
        var done = await pipeline.WaitForJobAsync(completing);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        await api.CheckAsync(Get($"/api/videos/{completing}"), "/videos/{jobId}", HttpStatusCode.OK);
        await api.CheckAsync(Get($"/api/videos/{completing}/video"), "/videos/{jobId}/video", HttpStatusCode.Found);
        await api.CheckAsync(Post($"/api/videos/{completing}/cancel"), "/videos/{jobId}/cancel", HttpStatusCode.Conflict);
        await pipeline.WaitForJobAsync(cancelled);
        await api.CheckAsync(Get($"/api/videos/{cancelled}"), "/videos/{jobId}", HttpStatusCode.OK);

        // fal's deliveries to the webhook door.
        var webhook = api.Responses("/fal/webhook", "post");
        Assert.NotEmpty(pipeline.Fal.State.WebhookDeliveries);
        Assert.All(pipeline.Fal.State.WebhookDeliveries, d => Assert.True(
            d.StatusCode is { } status && webhook.ContainsKey(status.ToString(CultureInfo.InvariantCulture)),
            $"a fal delivery was answered {d.StatusCode}, which the document does not list for the webhook"));

        // Every operation of the document was driven at least once.
        Assert.Equal(
            ContractFiles.Operations(api.Document).Select(o => $"{o.Method} {o.Path}").Order(StringComparer.Ordinal),
            api.Driven.Order(StringComparer.Ordinal));
    }

    private static HttpRequestMessage Get(string url) => new(HttpMethod.Get, url);

    private static HttpRequestMessage Post(string url) => new(HttpMethod.Post, url);

    private static HttpRequestMessage Start(HttpContent content, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/videos") { Content = content };
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        return request;
    }

    /// <summary>Sends requests and holds each answer to the document.</summary>
    private sealed class Answers(HttpClient http, JsonObject document)
    {
        public JsonObject Document { get; } = document;

        public HashSet<string> Driven { get; } = [];

        public JsonObject Responses(string path, string method) =>
            ContractFiles.Pointer(Document, $"#/paths/{path.Replace("/", "~1", StringComparison.Ordinal)}/{method}/responses")?.AsObject()
                ?? throw new InvalidOperationException($"The document has no {method} {path}.");

        /// <summary>Sends <paramref name="request"/>, expects <paramref name="expected"/>, and checks the answer against the document; returns its JSON body.</summary>
        public async Task<JsonElement> CheckAsync(HttpRequestMessage request, string path, HttpStatusCode expected)
        {
            using (request)
            {
                using var response = await http.SendAsync(request);
                string body = await response.Content.ReadAsStringAsync();
                string method = request.Method.Method.ToLowerInvariant();
                string where = $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}";
                Assert.True(response.StatusCode == expected, $"{where}, not {(int)expected}: {body}");
                Driven.Add($"{method} {path}");

                var responses = Responses(path, method);
                Assert.True(responses.TryGetPropertyValue(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), out var listed), $"{where}, which the document does not list");
                var definition = ContractFiles.Resolve(Document, listed!).AsObject();
                foreach (var (header, _) in definition["headers"]?.AsObject() ?? [])
                {
                    Assert.True(response.Headers.Contains(header) || response.Content.Headers.Contains(header), $"{where} without the {header} header the document promises");
                }

                if (definition["content"] is not JsonObject content)
                {
                    Assert.True(body.Length == 0, $"{where} with a body the document does not describe: {body}");
                    return default;
                }

                string? media = response.Content.Headers.ContentType?.MediaType;
                Assert.True(media is not null && content.ContainsKey(media), $"{where} as {media}, which the document does not list ({string.Join(", ", content.Select(c => c.Key))})");
                var schema = ContractFiles.SchemaOf(Document, ContractFiles.Resolve(Document, content[media]!["schema"]!));
                var errors = ContractFiles.Errors(schema, JsonNode.Parse(body));
                Assert.True(errors.Count == 0, $"{where} with a body the document's schema refuses: {string.Join(" | ", errors)}\n{body}");
                return JsonDocument.Parse(body).RootElement.Clone();
            }
        }
    }
}
