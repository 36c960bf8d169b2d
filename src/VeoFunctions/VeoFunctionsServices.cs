using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Fal;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Archive;
using VeoFunctions.Callbacks;
using VeoFunctions.Http;
using VeoFunctions.Images;
using VeoFunctions.Jobs;
using VeoFunctions.Manifests;
using VeoFunctions.Money;
using VeoFunctions.Operations;
using VeoFunctions.Storage;
using VeoFunctions.Telemetry;

namespace VeoFunctions;

/// <summary>
/// The composition root, in small pieces. Every option the app binds is bound here (and validated at start-up),
/// so the deployment templates can be checked against one place. Tests call the same methods.
/// </summary>
public static class VeoFunctionsServices
{
    /// <summary>
    /// How long fal's CDN keeps a reference image the app uploaded, unless <c>Fal:UploadLifetime</c> says otherwise. It
    /// must outlive the wait for fal to read it: the deadline (30 min) and a lost submit's second attempt (another
    /// deadline plus the generation time) fit in it many times over, and a day later nothing of the job's input is left.
    /// </summary>
    public static readonly TimeSpan DefaultUploadLifetime = TimeSpan.FromDays(1);

    public static IServiceCollection AddVeoFunctions(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<FalOptions>().PostConfigure(fal => fal.UploadLifetime ??= DefaultUploadLifetime);
        return services
            .AddSecretSafeLogging()
            .AddFalClient()
            .AddJobStorage()
            .AddImageSafety()
            .AddVideoArchive()
            .AddCallbacks()
            .AddMoney()
            .AddOperations()
            .AddVideoJobs();
    }

    /// <summary>The app's meter, its health checks, and the retention of durable histories.</summary>
    public static IServiceCollection AddOperations(this IServiceCollection services)
    {
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<VeoMetrics>();
        services.TryAddSingleton<HealthChecks>();
        services.TryAddSingleton<HistoryRetention>();
        return services;
    }

    /// <summary>Estimates, fal's prices, the daily budget.</summary>
    public static IServiceCollection AddMoney(this IServiceCollection services)
    {
        services.AddOptions<MoneyOptions>().BindConfiguration(MoneyOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PriceList>();
        services.TryAddSingleton<DailyBudget>();
        services.TryAddSingleton<JobSpending>();
        return services;
    }

    public static IServiceCollection AddJobStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddAzureClients(clients =>
        {
            // The one credential: the app's managed identity in Azure, the developer's sign-in locally. It is used
            // only with Storage:BlobServiceUri; a connection string carries its own key.
            clients.UseCredential(_ => new DefaultAzureCredential());
            clients.AddClient<BlobServiceClient, BlobClientOptions>((clientOptions, credential, sp) =>
            {
                var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
                return string.IsNullOrWhiteSpace(storage.ConnectionString)
                    ? new BlobServiceClient(storage.BlobServiceUri, credential, clientOptions)
                    : new BlobServiceClient(storage.ConnectionString, clientOptions);
            });
            clients.AddClient<TableServiceClient, TableClientOptions>((clientOptions, credential, sp) =>
            {
                var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
                return string.IsNullOrWhiteSpace(storage.ConnectionString)
                    ? new TableServiceClient(storage.TableUri(), credential, clientOptions)
                    : new TableServiceClient(storage.ConnectionString, clientOptions);
            });
        });

        // AddAzureClients forwards the SDK's event sources to ILogger; per-request lines at Information would flood
        // the logs, so only the SDK's warnings and errors come through.
        services.AddLogging(logging => logging.AddFilter("Azure.", LogLevel.Warning));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BlobContainers>();
        services.TryAddSingleton<StorageTables>();
        services.TryAddSingleton<ImageStaging>();
        services.TryAddSingleton<SubmissionLedger>();
        services.TryAddSingleton<DeliveryLedger>();
        services.TryAddSingleton<JobClaims>();
        services.TryAddSingleton<JobIndex>();
        services.TryAddSingleton<VideoLinks>();
        services.TryAddSingleton<Studio.StudioFiles>();
        return services;
    }

    public static IServiceCollection AddImageSafety(this IServiceCollection services)
    {
        services.AddOptions<ImageOptions>().BindConfiguration(ImageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient<SafeImageDownloader>()
            .ConfigurePrimaryHttpMessageHandler(sp => SafeImageDownloader.CreateHandler(sp.GetRequiredService<IOptions<ImageOptions>>().Value))
            .ConfigureHttpClient((sp, client) => client.Timeout = Timeout.InfiniteTimeSpan); // the downloader applies its own
        return services;
    }

    public static IServiceCollection AddVideoArchive(this IServiceCollection services)
    {
        services.AddOptions<ArchiveOptions>().BindConfiguration(ArchiveOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        // A large video may take minutes, but all of it inside host.json's functionTimeout: the client's timeout (which
        // bounds the wait for headers) is the archive's own, and the archive bounds the body per read and in all.
        // The video URL comes from fal's answer, so it is fetched as carefully as a user's image: the connect-time address
        // check, no automatic redirects (VideoArchive checks each one against fal's media hosts), no decompression.
        services.AddOptions<ImageOptions>().BindConfiguration(ImageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient<VideoArchive>()
            .ConfigurePrimaryHttpMessageHandler(sp => SafeImageDownloader.CreateHandler(sp.GetRequiredService<IOptions<ImageOptions>>().Value))
            .ConfigureHttpClient((sp, client) => client.Timeout = sp.GetRequiredService<IOptions<ArchiveOptions>>().Value.Timeout);
        return services;
    }

    public static IServiceCollection AddCallbacks(this IServiceCollection services)
    {
        services.AddOptions<CallbackOptions>().BindConfiguration(CallbackOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        // Images too: callbacks obey its network rules (AllowHttp, AllowedPrivateHosts). Binding it twice is harmless.
        services.AddOptions<ImageOptions>().BindConfiguration(ImageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        // A callback is a request made on a user's behalf: the same connect-time SSRF vetting as image downloads, no
        // redirects. The sender bounds each attempt itself (Callbacks:Timeout).
        services.AddHttpClient<CallbackSender>()
            .ConfigurePrimaryHttpMessageHandler(sp => SafeImageDownloader.CreateHandler(sp.GetRequiredService<IOptions<ImageOptions>>().Value))
            .ConfigureHttpClient((sp, client) => client.Timeout = Timeout.InfiniteTimeSpan);
        return services;
    }

    public static IServiceCollection AddVideoJobs(this IServiceCollection services)
    {
        services.AddOptions<JobOptions>().BindConfiguration(JobOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        // The worker's Kestrel must take a body of Jobs:MaxRequestBytes (its own default cap is lower).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<KestrelServerOptions>, KestrelRequestLimits>());
        services.TryAddSingleton<VideoRequestParser>();
        services.TryAddSingleton<JobScheduler>();
        services.TryAddSingleton<JobListing>();
        services.TryAddSingleton<SalvageRuns>();
        services.TryAddSingleton<FalWebhookIntake>();
        services.TryAddSingleton<ManifestParser>();
        services.TryAddSingleton<ManifestResults>();
        services.TryAddSingleton<EarlierManifestJobs>();
        services.TryAddSingleton<ManifestIntake>();
        return services;
    }
}
