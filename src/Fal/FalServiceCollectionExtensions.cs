using Fal.Platform;
using Fal.Queue;
using Fal.Storage;
using Fal.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fal;

/// <summary>Registers the fal clients with options bound from configuration and validated at start-up.</summary>
public static class FalServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="FalQueueClient"/>, <see cref="FalStorageClient"/>, <see cref="FalPlatformClient"/> (typed
    /// HttpClients) and the webhook verifier with its shared key cache, bound to <paramref name="sectionName"/>.
    /// </summary>
    public static IServiceCollection AddFalClient(this IServiceCollection services, string sectionName = FalOptions.SectionName)
    {
        services.AddOptions<FalOptions>().BindConfiguration(sectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        services.AddHttpClient<FalQueueClient>(ConfigureTimeout);
        services.AddHttpClient<FalStorageClient>(ConfigureTimeout);
        services.AddHttpClient<FalPlatformClient>(ConfigureTimeout);
        services.AddHttpClient(nameof(FalJwksKeySource), ConfigureTimeout);

        // The key cache must outlive requests: one instance, built from a factory-made client.
        services.AddSingleton<IFalWebhookKeySource>(sp => sp.GetRequiredService<FalJwksKeySource>());
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<FalJwksKeySource>(
            sp, sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(FalJwksKeySource))));
        services.AddSingleton<FalWebhookVerifier>();
        return services;
    }

    private static void ConfigureTimeout(IServiceProvider sp, HttpClient client) =>
        client.Timeout = sp.GetRequiredService<IOptions<FalOptions>>().Value.RequestTimeout;
}
