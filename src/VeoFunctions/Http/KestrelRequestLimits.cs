using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using VeoFunctions.Jobs;

namespace VeoFunctions.Http;

/// <summary>
/// Raises Kestrel's request-body cap (30,000,000 bytes unless raised) to fit <see cref="JobOptions.MaxRequestBytes"/>,
/// so the documented 40 MB holds in the worker and the app's own reader, which answers 413 naming the limit, is
/// what refuses a larger body.
/// </summary>
/// <remarks>
/// With <c>ConfigureFunctionsWebApplication</c> the worker serves HTTP with a Kestrel that
/// <c>ConfigureWebHostDefaults</c> builds on the app's own service collection (Azure/azure-functions-dotnet-worker,
/// extensions/Worker.Extensions.Http.AspNetCore/src/FunctionsHostBuilderExtensions.cs,
/// <c>ConfigureAspNetCoreIntegration</c>; <c>FunctionsApplicationBuilder.Services</c> is that collection), so this
/// <see cref="IConfigureOptions{TOptions}"/> is what that Kestrel reads. The Functions host in front has its own cap
/// (100 MB by default), above ours.
/// </remarks>
internal sealed class KestrelRequestLimits(IOptions<JobOptions> jobs) : IConfigureOptions<KestrelServerOptions>
{
    /// <summary>
    /// Room above the app's limit: a chunked body is read one buffer at a time, so the app's reader sees the limit
    /// crossed before Kestrel does, and a body declared just over it is still drained rather than cut off.
    /// </summary>
    public const int Headroom = 1024 * 1024;

    /// <summary>Kestrel's cap for a given <see cref="JobOptions.MaxRequestBytes"/>.</summary>
    public static long MaxRequestBodySize(int maxRequestBytes) => (long)maxRequestBytes + Headroom;

    public void Configure(KestrelServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Limits.MaxRequestBodySize = MaxRequestBodySize(jobs.Value.MaxRequestBytes);
    }
}
