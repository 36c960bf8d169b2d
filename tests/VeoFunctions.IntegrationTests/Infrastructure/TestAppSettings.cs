using FalEmulator;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>The app's settings for a test run: Azurite, the emulator as fal, short timings, private containers.</summary>
public static class TestAppSettings
{
    private static int _instances;

    public static Dictionary<string, string?> For(Azurite azurite, FalEmulatorHost fal, int functionsPort, string containerPrefix = "")
    {
        int n = Interlocked.Increment(ref _instances);
        return new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:VideosContainer"] = $"{containerPrefix}videos-{n}-{Guid.NewGuid():N}"[..30],
            ["Storage:WorkContainer"] = $"{containerPrefix}work-{n}-{Guid.NewGuid():N}"[..30],
            ["Storage:BudgetTable"] = $"budget{n}{Guid.NewGuid():N}"[..30], // letters and digits only
            ["Storage:JobsContainer"] = $"{containerPrefix}jobs-{n}-{Guid.NewGuid():N}"[..30],
            ["Storage:ImagesContainer"] = $"{containerPrefix}images-{n}-{Guid.NewGuid():N}"[..30],
            ["Fal:QueueBaseUrl"] = fal.BaseUrl,
            ["Fal:RestBaseUrl"] = fal.BaseUrl,
            ["Fal:JwksUrl"] = fal.JwksUrl,
            ["Fal:PlatformBaseUrl"] = fal.BaseUrl + "/v1",
            ["Fal:Key"] = "test-id:test-secret",
            ["Fal:RetryBaseDelay"] = "00:00:00.050",
            ["Fal:RetryMaxDelay"] = "00:00:00.200",
            ["Jobs:PublicBaseUrl"] = $"http://127.0.0.1:{functionsPort}",
            ["Jobs:FirstStatusCheck"] = "00:00:30",
            ["Jobs:FirstRetryInterval"] = "00:00:00.200",
            ["Jobs:MaxActivityAttempts"] = "3",
            ["Jobs:CancelGrace"] = "00:00:02",
            ["Jobs:MaxGenerationTime"] = "00:00:02",
            ["Jobs:MaxArchiveRetryInterval"] = "00:00:01",
            ["Images:AllowHttp"] = "true",
            ["Images:AllowedPrivateHosts:0"] = "127.0.0.1",
            ["Fal:MediaHosts:0"] = "127.0.0.1", // the emulator serves its videos itself
        };
    }
}
