using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using VeoFunctions.Jobs;
using VeoFunctions.Manifests;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Manifests;

public sealed class ManifestParserTests
{
    private const string Hook = "https://hooks.example.com/veo";

    private static ManifestParser Parser(int maxJobs = 1000)
    {
        var jobs = TestBodies.Jobs();
        jobs.MaxManifestJobs = maxJobs;
        return new ManifestParser(TestBodies.Parser(jobs), Options.Create(jobs));
    }

    /// <summary>The app's images container, as the door recognises it: <c>images/…</c>.</summary>
    private static BlobImage? OwnBlob(string reference) =>
        reference.StartsWith("images/", StringComparison.Ordinal) ? new BlobImage("images", reference["images/".Length..]) : null;

    private static ManifestParseResult Parse(JsonNode manifest, int maxJobs = 1000) => Parse(TestBodies.Bytes(manifest), maxJobs);

    private static ManifestParseResult Parse(byte[] manifest, int maxJobs = 1000) => Parser(maxJobs).Parse(manifest, OwnBlob);

    private static JsonObject Job(string? id = null, string prompt = "A red fox runs through fresh snow at dawn.")
    {
        var job = TestBodies.Valid();
        job["prompt"] = prompt;
        if (id is not null)
        {
            job["id"] = id;
        }

        return job;
    }

    private static JsonObject Batch(params JsonNode[] jobs) => new() { ["jobs"] = new JsonArray(jobs) };

    private static List<(int? Job, string? Id, string Field)> Where(ManifestParseResult result) =>
        [.. result.Problems.Select(p => (p.Job, p.Id, p.Field))];

    private static ManifestProblem OnlyProblem(ManifestParseResult result)
    {
        Assert.False(result.IsValid);
        var problem = Assert.Single(result.Problems);
        Assert.False(string.IsNullOrWhiteSpace(problem.Reason));
        return problem;
    }

    // --- One job ---

    [Fact]
    public void ASingleJob_IsOneJobAtIndexZero_DraftedAsTheHttpBodyWouldBe()
    {
        var result = Parse(Job());

        Assert.True(result.IsValid);
        var job = Assert.Single(result.Jobs);
        Assert.Equal(0, job.Index);
        Assert.Null(job.Id);
        Assert.Equal(TestBodies.Parser().Parse(TestBodies.Bytes(Job())).Draft!.Request, job.Draft.Request);
        Assert.Equal(new Uri(TestBodies.ImageUrl), Assert.Single(job.Draft.Images).Url);
    }

    [Fact]
    public void ASingleJob_MayCarryItsOwnId()
    {
        Assert.Equal("clip-1", Assert.Single(Parse(Job("clip-1")).Jobs).Id);
    }

    [Fact]
    public void ASingleJobWithAProblem_ReportsItAsJobZero_AndHasNoJobs()
    {
        var job = Job("clip-1");
        job.Remove("prompt");

        var result = Parse(job);

        Assert.Equal((0, "clip-1", "prompt"), (OnlyProblem(result).Job, OnlyProblem(result).Id, OnlyProblem(result).Field));
        Assert.Empty(result.Jobs);
    }

    // --- Batches ---

    [Fact]
    public void ABatch_KeepsItsJobsInOrder_WithTheirIdsAndIndexes()
    {
        var result = Parse(Batch(Job("cat", "A cat"), Job(prompt: "A dog"), Job("fox", "A fox")));

        Assert.True(result.IsValid);
        Assert.Equal([0, 1, 2], result.Jobs.Select(j => j.Index));
        Assert.Equal(["cat", null, "fox"], result.Jobs.Select(j => j.Id));
        Assert.Equal(["A cat", "A dog", "A fox"], result.Jobs.Select(j => j.Draft.Request.Prompt));
    }

    [Fact]
    public void ABareListOfJobs_IsABatchToo()
    {
        var result = Parse(new JsonArray(Job("a"), Job("b")));

        Assert.True(result.IsValid);
        Assert.Equal(["a", "b"], result.Jobs.Select(j => j.Id));
    }

    [Fact]
    public void TheBatchsCallbackAndPriority_AreEachJobsDefault_AndAJobsOwnWin()
    {
        var normal = Job("normal");
        normal["priority"] = "normal";
        var ownHook = Job("own-hook");
        ownHook["callback_url"] = "https://other.example.com/hook";
        var optedOut = Job("opted-out");
        optedOut["callback_url"] = null;
        var manifest = Batch(Job("plain"), normal, ownHook, optedOut);
        manifest["callback_url"] = Hook;
        manifest["callback_events"] = "all";
        manifest["priority"] = "low";

        var result = Parse(manifest);

        Assert.True(result.IsValid, string.Join("; ", result.Problems));
        var drafts = result.Jobs.ToDictionary(j => j.Id!, j => j.Draft);
        Assert.Equal(new JobCallback(new Uri(Hook), OnEveryPhase: true), drafts["plain"].Callback);
        Assert.Equal("low", drafts["plain"].Priority);
        Assert.Equal("normal", drafts["normal"].Priority);
        Assert.Equal(new JobCallback(new Uri(Hook), OnEveryPhase: true), drafts["normal"].Callback);
        Assert.Equal(new JobCallback(new Uri("https://other.example.com/hook"), OnEveryPhase: false), drafts["own-hook"].Callback);
        Assert.Equal("low", drafts["own-hook"].Priority);
        Assert.Null(drafts["opted-out"].Callback);
    }

    [Fact]
    public void EveryProblemOfEveryJob_IsReported_WithTheJobsIndexIdAndField()
    {
        var noPrompt = Job("no-prompt");
        noPrompt.Remove("prompt");
        var twoProblems = Job();
        twoProblems["aspect_ratio"] = "4:3";
        twoProblems["colour"] = "blue";

        var result = Parse(Batch(noPrompt, twoProblems, "not a job", Job("fine")));

        Assert.False(result.IsValid);
        Assert.Equal([(0, "no-prompt", "prompt"), (1, null, "aspect_ratio"), (1, null, "colour"), (2, null, "job")], Where(result).OrderBy(p => p.Job).ThenBy(p => p.Field, StringComparer.Ordinal));
        Assert.All(result.Problems, p => Assert.False(string.IsNullOrWhiteSpace(p.Reason)));
    }

    [Fact]
    public void TheJobsThatParsed_AreKeptBesideTheProblems_SoTheDoorCanCheckTheirImagesToo()
    {
        var noPrompt = Job();
        noPrompt.Remove("prompt");
        var blobImage = Job("blob");
        blobImage["image_urls"] = new JsonArray("images/cat.png");

        var result = Parse(Batch(noPrompt, blobImage));

        Assert.False(result.IsValid);
        Assert.Equal(1, Assert.Single(result.Jobs).Index);
        Assert.Equal([(0, null, "prompt")], Where(result));
    }

    [Fact]
    public void TheSameIdTwice_IsAProblemOfTheSecondJob()
    {
        var result = Parse(Batch(Job("twin"), Job("other"), Job("twin")));

        Assert.Equal((2, "twin", "id"), (OnlyProblem(result).Job, OnlyProblem(result).Id, OnlyProblem(result).Field));
    }

    [Fact]
    public void IdsDifferingOnlyInCase_AreDifferentIds()
    {
        Assert.True(Parse(Batch(Job("Clip"), Job("clip"))).IsValid);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"-starts-with-a-dash\"")]
    [InlineData("\"has space\"")]
    [InlineData("\"slash/y\"")]
    [InlineData("42")]
    [InlineData("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"")] // 65 characters
    public void AnIdOfTheWrongShape_IsAProblem(string id)
    {
        var job = Job();
        job["id"] = JsonNode.Parse(id);

        var problem = OnlyProblem(Parse(Batch(Job("fine"), job)));

        Assert.Equal((1, null, "id"), (problem.Job, problem.Id, problem.Field));
    }

    [Fact]
    public void AnUnknownFieldOfTheBatch_IsAProblemOfTheManifest()
    {
        var manifest = Batch(Job());
        manifest["colour"] = "blue";

        var problem = OnlyProblem(Parse(manifest));

        Assert.Equal((null, null, "colour"), (problem.Job, problem.Id, problem.Field));
    }

    [Theory]
    [InlineData("callback_url", "\"https://10.0.0.5/hook\"")]
    [InlineData("callback_url", "\"http://hooks.example.com/veo\"")]
    [InlineData("priority", "\"urgent\"")]
    [InlineData("callback_events", "\"all\"")] // without a callback_url
    public void ABadBatchDefault_IsOneProblemOfTheManifest_NotOnePerJob(string field, string value)
    {
        var manifest = Batch(Job("a"), Job("b"));
        manifest[field] = JsonNode.Parse(value);

        var problem = OnlyProblem(Parse(manifest));

        Assert.Equal((null, null, field), (problem.Job, problem.Id, problem.Field));
    }

    [Fact]
    public void AJobsPrivateCallbackUrl_IsAProblemOfThatJob()
    {
        var job = Job("hooked");
        job["callback_url"] = "https://169.254.169.254/latest/meta-data/";

        var problem = OnlyProblem(Parse(Batch(Job(), job)));

        Assert.Equal((1, "hooked", "callback_url"), (problem.Job, problem.Id, problem.Field));
        Assert.Contains("callback URL", problem.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"jobs": {"prompt": "x"}}""")]
    [InlineData("""{"jobs": []}""")]
    [InlineData("""[]""")]
    public void JobsThatAreNotANonEmptyList_AreAProblem(string manifest)
    {
        var problem = OnlyProblem(Parse(Encoding.UTF8.GetBytes(manifest)));

        Assert.Equal((null, null, "jobs"), (problem.Job, problem.Id, problem.Field));
    }

    [Fact]
    public void MoreJobsThanAllowed_IsAProblem_AndNoJobIsChecked()
    {
        var result = Parse(Batch(Job(), Job(), Job()), maxJobs: 2);

        var problem = OnlyProblem(result);
        Assert.Equal("jobs", problem.Field);
        Assert.Contains("got 3", problem.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Jobs);
    }

    // --- The document ---

    [Theory]
    [InlineData("""{"prompt": "x", "image_urls": [""")]
    [InlineData("42")]
    [InlineData("\"a job\"")]
    [InlineData("""{"prompt": "a", "prompt": "b", "image_urls": ["https://example.com/a.png"]}""")]
    public void ADocumentThatIsNotAJobOrABatch_IsOneProblemOfTheManifest(string manifest)
    {
        var problem = OnlyProblem(Parse(Encoding.UTF8.GetBytes(manifest)));

        Assert.Equal((null, null, "manifest"), (problem.Job, problem.Id, problem.Field));
    }

    [Fact]
    public void InvalidUtf8InAString_IsAProblemOfTheManifest_NotACrash()
    {
        byte[] manifest = [.. "{\"prompt\": \"a "u8, 0xFF, 0xFE, .. "\", \"image_urls\": [\"https://example.com/a.png\"]}"u8];

        Assert.Equal("manifest", OnlyProblem(Parse(manifest)).Field);
    }

    [Fact]
    public void AByteOrderMark_IsSkipped()
    {
        byte[] manifest = [0xEF, 0xBB, 0xBF, .. TestBodies.Bytes(Job("bom"))];

        Assert.Equal("bom", Assert.Single(Parse(manifest).Jobs).Id);
    }

    // --- Images in the app's own storage ---

    [Fact]
    public void AnImageNamingABlobOfTheImagesContainer_IsLeftForTheDoorToRead()
    {
        var job = Job();
        job["image_urls"] = new JsonArray("images/pets/cat.png", TestBodies.ImageUrl);

        var images = Assert.Single(Parse(job).Jobs).Draft.Images;

        Assert.Equal(new BlobImage("images", "pets/cat.png"), images[0].Blob);
        Assert.Null(images[0].Url);
        Assert.True(images[0].Bytes.IsEmpty);
        Assert.Null(images[1].Blob);
        Assert.Equal(new Uri(TestBodies.ImageUrl), images[1].Url);
    }

    [Fact]
    public void ABlobPathTheDoorDoesNotRecognise_IsCheckedAsAUrl_AndRefused()
    {
        var job = Job();
        job["image_urls"] = new JsonArray("photos/cat.png");

        Assert.Equal("image_urls[0]", OnlyProblem(Parse(job)).Field);
    }

    // --- Bounded answers ---

    [Fact]
    public void AManifestOf300000UnknownFields_Lists50Problems_AndOneCountingTheRest()
    {
        var job = Job();
        for (int i = 0; i < 300_000; i++)
        {
            job[$"f{i}"] = 1;
        }

        var result = Parse(job);

        Assert.Equal(51, result.Problems.Count);
        Assert.All(result.Problems.Take(50), p => Assert.StartsWith("f", p.Field, StringComparison.Ordinal));
        Assert.Equal("manifest", result.Problems[50].Field);
        Assert.StartsWith("299950 more problem(s) not listed", result.Problems[50].Reason, StringComparison.Ordinal);
        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(result.Problems).Length, 1, 16 * 1024);
    }

    [Fact]
    public void ABatchWithManyBadJobs_Lists50Problems_AndCountsTheRestAcrossJobs()
    {
        var jobs = Enumerable.Range(0, 40).Select(i =>
        {
            var job = Job($"j{i}");
            job["aspect_ratio"] = "1:1";
            job["resolution"] = "8k";
            return (JsonNode)job;
        }).ToArray();

        var result = Parse(Batch(jobs));

        Assert.Equal(51, result.Problems.Count);
        Assert.StartsWith("30 more problem(s) not listed", result.Problems[50].Reason, StringComparison.Ordinal);
    }

    // --- Fingerprints ---

    [Fact]
    public void TheFingerprint_IsTheSameForTheSameJob_AndDiffersWithTheJob()
    {
        string Fingerprint(JsonNode manifest, int job = 0) => Parse(manifest).Jobs[job].Fingerprint;

        Assert.Equal(Fingerprint(Batch(Job("a"))), Fingerprint(Batch(Job("a"))));
        Assert.Equal(Fingerprint(Batch(Job("a"), Job("b"))), Fingerprint(Batch(Job("a"), Job("c")))); // its own JSON, not the whole batch's
        Assert.NotEqual(Fingerprint(Batch(Job("a"))), Fingerprint(Batch(Job("a", "Another prompt"))));
        Assert.Matches("^[0-9a-f]{64}$", Fingerprint(Job()));
    }

    [Fact]
    public void WhereTheAnswerGoesAndHowSoon_IsNoPartOfTheFingerprint_TheBatchsOrTheEntrysOwn()
    {
        ManifestJob Only(JsonNode manifest) => Assert.Single(Parse(manifest).Jobs);
        var plain = Only(Batch(Job()));
        var batch = Batch(Job());
        batch["callback_url"] = Hook + "?sig=rotated-on-every-upload";
        batch["callback_events"] = "all";
        batch["priority"] = "low";
        var own = Job();
        own["callback_url"] = Hook;
        own["priority"] = "low";

        Assert.Equal(plain.Fingerprint, Only(batch).Fingerprint);
        Assert.Equal(plain.Fingerprint, Only(Batch(own)).Fingerprint);
        Assert.NotNull(Only(batch).Draft.Callback); // still taken by a job that starts
        Assert.NotEqual(plain.Earlier!.Canonical, Only(batch).Earlier!.Canonical); // the release before took them in
    }

    [Fact]
    public void TheSchemasName_IsNoPartOfAnyFingerprint_SoAddingItToAManifestStartsNothingNew()
    {
        ManifestJob Only(JsonNode manifest) => Assert.Single(Parse(manifest).Jobs);
        const string Schema = "https://veofunctions.dev/schemas/manifest.schema.json";
        var single = Job();
        var named = Job();
        named["$schema"] = Schema; // a single-job manifest's root is its entry
        var batch = Batch(Job());
        batch["$schema"] = Schema;

        var plain = Only(single);
        Assert.Equal(plain.Fingerprint, Only(named).Fingerprint);
        Assert.Equal(plain.Earlier!.Canonical, Only(named).Earlier!.Canonical); // the release before (main) skips it too
        Assert.Equal(Only(Batch(Job())).Fingerprint, Only(batch).Fingerprint);
    }

    [Fact]
    public void AnIdLessEntry_IsTheNthOfItsKind_NotTheNthOfTheManifest()
    {
        List<(string Fingerprint, int Occurrence)> Names(params JsonNode[] jobs) => [.. Parse(Batch(jobs)).Jobs.Select(j => (j.Fingerprint, j.Occurrence))];
        JsonObject A() => Job(prompt: "A");
        JsonObject B() => Job(prompt: "B");
        JsonObject C() => Job(prompt: "C");
        JsonObject Z() => Job(prompt: "Z");

        var first = Names(A(), B(), C());
        Assert.Equal(first, Names(Z(), A(), B(), C()).Skip(1)); // one inserted before them
        Assert.Equal([first[0], first[2]], Names(A(), C())); // one removed between them
        Assert.Equal([0, 1, 0, 2], Names(A(), A(), B(), A()).Select(n => n.Occurrence)); // twins are the first, second, third of their kind
        Assert.Equal([0, 0], Parse(Batch(Job("x", "A"), Job("y", "A"))).Jobs.Select(j => j.Occurrence)); // an id names an entry alone
    }

    [Fact]
    public void TheEarlierReleasesFingerprints_AreComputedAsTheyDid_SoTheirClaimsAreRecognised()
    {
        const string Text = """{"jobs":[ {"prompt":"A fox", "image_urls":["https://images.example.com/fox.png"]} ],"priority":"low","callback_url":"https://hooks.example.com/veo"}""";
        var job = Assert.Single(Parse(Encoding.UTF8.GetBytes(Text)).Jobs);

        // The ETag release: the entry's text as written, then each batch default as field=text, in its order.
        string raw = """{"prompt":"A fox", "image_urls":["https://images.example.com/fox.png"]}""" + "\n" + "callback_url=\"https://hooks.example.com/veo\"\n" + "priority=\"low\"\n";
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(raw))), job.Earlier!.Raw);

        // The position release: canonical JSON (sorted, compact) of the entry and the batch's callback, events, priority and run.
        string canonical = """{"job":{"image_urls":["https://images.example.com/fox.png"],"prompt":"A fox"},"batch.callback_url":"https://hooks.example.com/veo","batch.priority":"low"}""";
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(canonical))), job.Earlier.Canonical);
    }

    [Fact]
    public void TheFingerprint_IsWhatTheEntryIs_NotHowItIsWritten()
    {
        const string Compact = """{"jobs":[{"id":"a","prompt":"A fox","image_urls":["https://images.example.com/fox.png"]}],"priority":"low"}""";
        const string Spaced = """
            { "priority" : "low",
              "jobs" : [ { "image_urls" : [ "https://images.example.com/fox.png" ], "prompt" : "A \u0066ox", "id" : "a" } ] }
            """;

        var compact = Parse(Encoding.UTF8.GetBytes(Compact));
        var spaced = Parse(Encoding.UTF8.GetBytes(Spaced));

        Assert.True(compact.IsValid && spaced.IsValid);
        Assert.Equal(compact.Jobs[0].Fingerprint, spaced.Jobs[0].Fingerprint);
    }

    [Fact]
    public void ARunLabel_OnTheEntryOrTheBatch_IsPartOfTheFingerprint_SoChangingItAsksForAFreshRun()
    {
        string Fingerprint(JsonNode manifest) => Assert.Single(Parse(manifest).Jobs).Fingerprint;
        var entryRun = Job("a");
        entryRun["run"] = "2026-12-07";
        var batchRun = Batch(Job("a"));
        batchRun["run"] = "retry-1";

        string plain = Fingerprint(Batch(Job("a"))), ownRun = Fingerprint(Batch(entryRun));
        Assert.NotEqual(plain, ownRun);
        Assert.NotEqual(plain, Fingerprint(batchRun));
        Assert.NotEqual(ownRun, Fingerprint(batchRun));
    }

    [Fact]
    public void ARunLabelOfTheWrongShape_IsAProblem()
    {
        var job = Job("a");
        job["run"] = 7;
        var batch = Batch(Job("b"));
        batch["run"] = "";

        Assert.Equal([(0, "a", "run")], Where(Parse(Batch(job))));
        Assert.Equal([(null, null, "run")], Where(Parse(batch)));
    }
}
