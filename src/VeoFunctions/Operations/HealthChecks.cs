using Azure;
using Fal;
using Fal.Platform;
using Fal.Veo31;
using Fal.Webhooks;
using VeoFunctions.Storage;

namespace VeoFunctions.Operations;

/// <summary>
/// Asks each dependency a cheap question: the work container's properties (storage and the app's role on it), fal's
/// price for the endpoint (an authenticated Platform API call: is the key accepted?), fal's webhook key set (can
/// signatures be checked?). Each is bounded by <see cref="Timeout"/>, and all run at once.
/// </summary>
public sealed class HealthChecks(BlobContainers containers, FalPlatformClient platform, IFalWebhookKeySource keySource)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var storage = CheckAsync(async ct => await (await containers.WorkAsync().ConfigureAwait(false)).GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false), cancellationToken);
        var falKey = CheckAsync(ct => platform.GetPricingAsync(ReferenceToVideoInput.EndpointId, ct), cancellationToken);
        var webhookKeys = CheckAsync(async ct =>
        {
            // The app's own key source, refetched when its once-a-minute limit allows and otherwise read from what it
            // holds: a source per call would sidestep that limit, letting anyone with the key make the app hammer fal.
            // Healthy means the webhook door can check signatures now.
            var keys = await keySource.RefreshAsync(ct).ConfigureAwait(false) ?? await keySource.GetKeysAsync(ct).ConfigureAwait(false);
            if (keys.Count == 0)
            {
                throw new FalApiException("fal's key set could not be read or holds no Ed25519 key.");
            }
        }, cancellationToken);
        var checks = new Dictionary<string, HealthCheck>
        {
            ["storage"] = await storage.ConfigureAwait(false),
            ["falKey"] = await falKey.ConfigureAwait(false),
            ["webhookKeys"] = await webhookKeys.ConfigureAwait(false),
        };
        return new HealthReport(checks.Values.All(c => c.Healthy) ? "healthy" : "unhealthy", checks, platform.HasAdminKey);
    }

    private static async Task<HealthCheck> CheckAsync(Func<CancellationToken, Task> probe, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await probe(timeout.Token).ConfigureAwait(false);
            return new HealthCheck(true);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthCheck(false, Describe(ex));
        }
    }

    // Status codes and kinds only: a message may carry an account name, a URL or a key id.
    private static string Describe(Exception ex) => ex switch
    {
        RequestFailedException storage => $"storage answered {storage.Status}{(storage.ErrorCode is { } code ? $" ({code})" : "")}",
        FalApiException api when api.StatusCode != 0 => $"fal answered {(int)api.StatusCode}",
        FalApiException => "fal's answer was not usable",
        OperationCanceledException => $"no answer within {Timeout.TotalSeconds:0} s",
        HttpRequestException => "unreachable",
        _ => ex.GetType().Name,
    };
}
