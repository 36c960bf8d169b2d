using System.Net;
using System.Text;
using FalEmulator;

namespace Fal.Tests;

public sealed class FalStorageClientTests
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8, 9];

    [Fact]
    public async Task Upload_InitiatesWithTheKey_PutsWithoutTheKey_AndTheFileIsServedBackUnchanged()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator());
        var recorder = new RecordingHandler();
        var storage = TestFal.Storage(TestFal.Options(fal.BaseUrl), recorder);

        var fileUrl = await storage.UploadAsync(Png, "image/png", "ref-1.png");

        var seen = recorder.Seen.ToList();
        Assert.Equal(2, seen.Count);
        var initiate = seen[0];
        Assert.Equal(HttpMethod.Post, initiate.Method);
        Assert.Equal("/storage/upload/initiate?storage_type=fal-cdn-v3", initiate.RawPathAndQuery);
        Assert.Equal("Key k:s", initiate.Header("Authorization"));
        var initiateBody = Encoding.UTF8.GetString(initiate.Body);
        Assert.Contains("\"content_type\":\"image/png\"", initiateBody, StringComparison.Ordinal);
        Assert.Contains("\"file_name\":\"ref-1.png\"", initiateBody, StringComparison.Ordinal);

        var put = seen[1];
        Assert.Equal(HttpMethod.Put, put.Method);
        Assert.StartsWith("/upload/", put.RawPathAndQuery, StringComparison.Ordinal);
        Assert.Null(put.Header("Authorization"));
        Assert.Equal("image/png", put.ContentType);
        Assert.Equal(Png, put.Body);

        using var http = new HttpClient();
        using var file = await http.GetAsync(fileUrl);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("image/png", file.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Png, await file.Content.ReadAsByteArrayAsync());
        Assert.EndsWith("/ref-1.png", fileUrl.AbsolutePath, StringComparison.Ordinal);
        Assert.Equal(1, fal.State.GetCount(RequestKind.UploadInitiate));
        Assert.Equal(1, fal.State.GetCount(RequestKind.UploadPut));
    }

    [Fact]
    public async Task Upload_RetriesATransient503OnThePut()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.Faults.Add(FaultRule.CallHttpError(RequestKind.UploadPut, 503))));
        var storage = TestFal.Storage(TestFal.Options(fal.BaseUrl));

        var fileUrl = await storage.UploadAsync(Png, "image/png", "ref-1.png");

        Assert.Equal(1, fal.State.GetCount(RequestKind.UploadInitiate));
        Assert.Equal(2, fal.State.GetCount(RequestKind.UploadPut));
        using var http = new HttpClient();
        Assert.Equal(Png, await http.GetByteArrayAsync(fileUrl));
    }

    [Fact]
    public async Task Upload_RetriesATransient502OnTheInitiate()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.Faults.Add(FaultRule.CallHttpError(RequestKind.UploadInitiate, 502))));
        var storage = TestFal.Storage(TestFal.Options(fal.BaseUrl));

        await storage.UploadAsync(Png, "image/png", "ref-1.png");

        Assert.Equal(2, fal.State.GetCount(RequestKind.UploadInitiate));
        Assert.Equal(1, fal.State.GetCount(RequestKind.UploadPut));
    }

    [Fact]
    public async Task Upload_FailsWithoutPutting_WhenTheKeyIsRejected()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator());
        var storage = TestFal.Storage(TestFal.Options(fal.BaseUrl, o => o.Key = "wrong:key"));

        var ex = await Assert.ThrowsAsync<FalApiException>(() => storage.UploadAsync(Png, "image/png", "ref-1.png"));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal(1, fal.State.GetCount(RequestKind.UploadInitiate));
        Assert.Equal(0, fal.State.GetCount(RequestKind.UploadPut));
    }

    [Fact]
    public async Task Upload_Throws_WhenInitiateAnswersWithoutAnUploadUrl()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.OK, """{"file_url":"https://v3.fal.media/files/x.png"}"""));
        var storage = TestFal.Storage(TestFal.Options("https://rest.fal.ai"), stub);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => storage.UploadAsync(Png, "image/png", "ref-1.png"));

        Assert.Contains("upload_url", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, stub.Calls);
    }

    [Fact]
    public async Task Upload_SendsThePutToTheSignedUploadUrl_EvenOnAnotherHost_WithoutTheKey()
    {
        var stub = new StubHandler((req, _) => req.Method == HttpMethod.Post
            ? StubHandler.Json(HttpStatusCode.OK, """{"upload_url":"https://storage.example/signed?sig=abc","file_url":"https://v3.fal.media/files/x/ref.png"}""")
            : new HttpResponseMessage(HttpStatusCode.OK));
        var storage = TestFal.Storage(TestFal.Options("https://rest.fal.ai"), stub);

        var fileUrl = await storage.UploadAsync(Png, "image/png", "ref.png");

        Assert.Equal("https://v3.fal.media/files/x/ref.png", fileUrl.AbsoluteUri);
        var put = stub.Seen.Last();
        Assert.Equal("https://storage.example/signed?sig=abc", put.Uri.AbsoluteUri);
        Assert.Null(put.Header("Authorization"));
        Assert.Equal("https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3", stub.Seen.First().Uri.AbsoluteUri);
    }

    private static StubHandler Cdn() => new((req, _) => req.Method == HttpMethod.Post
        ? StubHandler.Json(HttpStatusCode.OK, """{"upload_url":"https://storage.example/signed","file_url":"https://v3.fal.media/files/x/ref.png"}""")
        : new HttpResponseMessage(HttpStatusCode.OK));

    [Fact]
    public async Task Upload_SendsNoLifecycle_WhenNoLifetimeIsSetAnywhere()
    {
        var stub = Cdn();
        var storage = TestFal.Storage(TestFal.Options("https://rest.fal.ai"), stub);

        await storage.UploadAsync(Png, "image/png", "ref.png");

        Assert.All(stub.Seen, s => Assert.Null(s.Header("X-Fal-Object-Lifecycle")));
    }

    [Fact]
    public async Task Upload_SendsTheLifetimeOnInitiateOnly_InWholeSecondsRoundedUp()
    {
        var stub = Cdn();
        var storage = TestFal.Storage(TestFal.Options("https://rest.fal.ai"), stub);

        await storage.UploadAsync(Png, "image/png", "ref.png", TimeSpan.FromSeconds(3599.2));

        var seen = stub.Seen.ToList();
        Assert.Equal("""{"expiration_duration_seconds":3600}""", seen[0].Header("X-Fal-Object-Lifecycle"));
        Assert.Null(seen[1].Header("X-Fal-Object-Lifecycle"));
    }

    [Fact]
    public async Task Upload_FallsBackToTheConfiguredUploadLifetime_AndACallsOwnLifetimeWins()
    {
        var stub = Cdn();
        var storage = TestFal.Storage(TestFal.Options("https://rest.fal.ai", o => o.UploadLifetime = TimeSpan.FromDays(1)), stub);

        await storage.UploadAsync(Png, "image/png", "a.png");
        await storage.UploadAsync(Png, "image/png", "b.png", TimeSpan.FromHours(1));

        var initiates = stub.Seen.Where(s => s.Method == HttpMethod.Post).Select(s => s.Header("X-Fal-Object-Lifecycle")).ToList();
        Assert.Equal(["""{"expiration_duration_seconds":86400}""", """{"expiration_duration_seconds":3600}"""], initiates);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task Upload_RefusesALifetimeThatIsNotPositive_BeforeSendingAnything(int seconds)
    {
        var stub = Cdn();
        var storage = TestFal.Storage(TestFal.Options("https://rest.fal.ai"), stub);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => storage.UploadAsync(Png, "image/png", "ref.png", TimeSpan.FromSeconds(seconds)));

        Assert.Equal(0, stub.Calls);
    }
}
