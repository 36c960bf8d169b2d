using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs.Models;
using Fal;
using Fal.Veo31;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Images;
using VeoFunctions.Jobs;
using VeoFunctions.Storage;

namespace VeoFunctions.Archive;

/// <summary>
/// Copies a finished video from fal into the videos container as <c>{yyyy}/{MM}/{dd}/{jobId}.mp4</c>, with
/// a manifest beside it. The bytes stream through in blocks (memory stays flat whatever the size) and the
/// blob appears under its final name only when the block list commits, so a crash leaves nothing partial.
/// Rerunning overwrites with the same bytes: the step is idempotent. A CDN that stops sending (per read,
/// <see cref="ArchiveOptions.IdleTimeout"/>) or an attempt that runs too long (<see cref="ArchiveOptions.Timeout"/>)
/// fails with a <see cref="TimeoutException"/>, which the durable retry tries again. The video is fetched only from
/// fal's media hosts (<see cref="FalMediaHosts"/>) through the image downloader's SSRF-guarded handler, each redirect
/// checked again; a URL elsewhere is refused for good, nothing downloaded.
/// </summary>
public sealed partial class VideoArchive(
    HttpClient http, BlobContainers containers, IOptions<ArchiveOptions> options, IOptionsMonitor<FalOptions> fal, IOptions<ImageOptions> network, TimeProvider time, ILogger<VideoArchive> logger)
{
    public const int BlockBytes = 4 * 1024 * 1024;

    /// <summary>Redirects a video download may follow, each to one of fal's media hosts.</summary>
    public const int MaxRedirects = 3;

    private static readonly JsonSerializerOptions ManifestJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string VideoBlobName(string jobId, DateTimeOffset createdAt) =>
        string.Create(CultureInfo.InvariantCulture, $"{createdAt.UtcDateTime:yyyy}/{createdAt.UtcDateTime:MM}/{createdAt.UtcDateTime:dd}/{jobId}.mp4");

    public async Task<ArchivedVideo> ArchiveAsync(ArchiveRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var limits = options.Value;
        using var deadline = new CancellationTokenSource(limits.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await ArchiveAsync(request, limits, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested
            && ex is OperationCanceledException or IOException or HttpRequestException or RequestFailedException)
        {
            throw new TimeoutException(FormattableString.Invariant($"Archiving the video took longer than {limits.Timeout.TotalSeconds:0.###} s; it is tried again."), ex);
        }
    }

    private async Task<ArchivedVideo> ArchiveAsync(ArchiveRequest request, ArchiveOptions limits, CancellationToken cancellationToken)
    {
        var container = await containers.VideosAsync().ConfigureAwait(false);
        string videoName = VideoBlobName(request.JobId, request.CreatedAt);
        string manifestName = Path.ChangeExtension(videoName, ".json");
        var blob = container.GetBlobClient(videoName);

        using var response = await OpenAsync(request.JobId, request.VideoUrl, limits, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            // fal's CDN: a 404/410 may be an edge that does not have the file yet, or a result that expired; the story
            // asks fal's result API before it believes the latter. Anything else may pass.
            string what = $"Downloading the video from fal failed with HTTP {(int)response.StatusCode}.";
            throw (int)response.StatusCode is 404 or 410 ? new VideoNotFoundException(what) : new HttpRequestException(what, null, response.StatusCode);
        }

        string contentType = response.Content.Headers.ContentType?.MediaType is { } mt && mt.StartsWith("video/", StringComparison.Ordinal) ? mt : "video/mp4";
        long? declared = response.Content.Headers.ContentLength ?? request.ExpectedBytes;
        var source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            var counting = new CountingStream(new IdleTimeoutStream(source, limits.IdleTimeout, time), declared);
            await blob.UploadAsync(counting, new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
                Metadata = Metadata(request),
                TransferOptions = new StorageTransferOptions { InitialTransferSize = BlockBytes, MaximumTransferSize = BlockBytes, MaximumConcurrency = 2 },
            }, cancellationToken).ConfigureAwait(false);

            var manifest = new VideoManifest(
                request.JobId, request.FalRequestId, ReferenceToVideoInput.EndpointId, request.Input, request.ReferenceImages,
                new VideoManifestTimings(request.CreatedAt, request.SubmittedAt, request.CompletedAt, time.GetUtcNow()),
                videoName, counting.BytesRead, contentType, request.Cost);
            await container.GetBlobClient(manifestName).UploadAsync(
                BinaryData.FromObjectAsJson(manifest, ManifestJson),
                new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" }, Metadata = Metadata(request) },
                cancellationToken).ConfigureAwait(false);

            Log.Archived(logger, request.JobId, videoName, counting.BytesRead);
            return new ArchivedVideo(container.Name, videoName, blob.Uri, manifestName, counting.BytesRead, contentType);
        }
    }

    /// <summary>Starts the download at fal's media host, following its redirects only to fal's media hosts.</summary>
    private async Task<HttpResponseMessage> OpenAsync(string jobId, string videoUrl, ArchiveOptions limits, CancellationToken cancellationToken)
    {
        var url = FalMedia(jobId, Uri.TryCreate(videoUrl, UriKind.Absolute, out var parsed) ? parsed : null);
        for (int redirects = 0; ; redirects++)
        {
            HttpResponseMessage response;
            try
            {
                response = await Stalls.WithinAsync(
                    token => http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, token),
                    limits.IdleTimeout, time, "fal's answer to the video download", cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (SafeImageDownloader.FindInner<BlockedAddressException>(ex) is not null)
            {
                throw new JobFailedException($"fal's result names a video on {url.Host}, which resolves to a private network address; it was not downloaded. fal keeps the result for weeks: once the host resolves to a public address, POST /api/videos/{jobId}/resume archives it.", ex);
            }

            if ((int)response.StatusCode is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location && redirects < MaxRedirects)
            {
                response.Dispose();
                url = FalMedia(jobId, new Uri(url, location));
                continue;
            }

            return response;
        }
    }

    private Uri FalMedia(string jobId, Uri? url)
    {
        // Read as the settings stand now: a host added to the list lets a resume archive what it refused before.
        var configured = fal.CurrentValue.MediaHosts.Where(host => !string.IsNullOrWhiteSpace(host)).ToList();
        var hosts = configured.Count > 0 ? configured : FalOptions.DefaultMediaHosts;
        if (url is null || !FalMediaHosts.Allows(url, hosts, network.Value.AllowHttp))
        {
            string where = url is null ? "an address that is not a URL" : $"{url.Scheme}://{url.Host}";
            Log.Refused(logger, where);
            throw new JobFailedException($"fal's result names a video at {where}, which is not one of fal's media hosts (Fal:MediaHosts); it was not downloaded. fal keeps the result for weeks: if the host is fal's, add it to Fal:MediaHosts and POST /api/videos/{jobId}/resume archives it.");
        }

        return url;
    }

    /// <summary>
    /// Writes a job's settled cost into its archive manifest (<c>{jobId}.json</c>). Conditional on the manifest's ETag,
    /// read again when an archive rerun rewrote it meanwhile; a manifest that is gone (deleted by its owner) is left so.
    /// </summary>
    public async Task RecordCostAsync(string manifestBlobName, Money.JobCost cost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cost);
        var blob = (await containers.VideosAsync().ConfigureAwait(false)).GetBlobClient(manifestBlobName);
        while (true)
        {
            BlobDownloadResult current;
            try
            {
                current = (await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return;
            }

            var manifest = current.Content.ToObjectFromJson<VideoManifest>(ManifestJson);
            if (manifest is null || manifest.Cost == cost)
            {
                return;
            }

            try
            {
                await blob.UploadAsync(BinaryData.FromObjectAsJson(manifest with { Cost = cost }, ManifestJson), new BlobUploadOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                    Metadata = current.Details.Metadata,
                    Conditions = new BlobRequestConditions { IfMatch = current.Details.ETag },
                }, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // Rewritten meanwhile: read it again.
            }
        }
    }

    private static Dictionary<string, string> Metadata(ArchiveRequest request)
    {
        var metadata = new Dictionary<string, string> { ["jobid"] = request.JobId, ["falrequestid"] = request.FalRequestId };
        if (request.Input.Seed is { } seed)
        {
            metadata["seed"] = seed.ToString(CultureInfo.InvariantCulture);
        }

        return metadata;
    }

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Information, "Archived job {JobId} as {BlobName} ({Bytes} bytes)")]
        public static partial void Archived(ILogger logger, string jobId, string blobName, long bytes);

        [LoggerMessage(3002, LogLevel.Warning, "Refused to download a video from {Where}: not one of fal's media hosts")]
        public static partial void Refused(ILogger logger, string where);
    }
}
