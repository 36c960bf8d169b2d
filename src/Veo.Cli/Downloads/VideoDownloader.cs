using Veo.Cli.Api;

namespace Veo.Cli.Downloads;

/// <summary>
/// Streams a job's MP4 into a file: written beside it as <c>.part</c> and moved into place only when the byte count
/// matches what the app archived, so a broken transfer never leaves a plausible-looking video behind.
/// </summary>
public sealed class VideoDownloader(VeoApiClient api)
{
    /// <summary>A transfer that delivers nothing for this long is given up.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Saves the video of <paramref name="status"/> to <paramref name="path"/>; returns the bytes written.</summary>
    /// <param name="progress">Told the bytes so far, for a progress bar.</param>
    public async Task<long> DownloadAsync(JobStatus status, string path, Action<long, long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        var video = status.Video ?? throw NoVideo(status);
        string full = Path.GetFullPath(path);
        if (!Directory.Exists(Path.GetDirectoryName(full)))
        {
            throw new UsageException($"--out {path}: the folder does not exist.");
        }

        string part = full + ".part";
        long copied = 0;
        try
        {
            using (var response = await api.OpenVideoAsync(status, cancellationToken).ConfigureAwait(false))
            {
                var source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await using (source.ConfigureAwait(false))
                {
                    var target = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                    await using (target.ConfigureAwait(false))
                    {
                        copied = await CopyAsync(source, target, video.Bytes, progress, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            if (copied != video.Bytes)
            {
                throw new VeoApiException(
                    ApiFailure.Unavailable,
                    $"Received {copied} bytes but the app archived {video.Bytes}; nothing was saved. Try again: veo download {status.JobId}");
            }

            File.Move(part, full, overwrite: true);
            return copied;
        }
        catch
        {
            if (File.Exists(part))
            {
                File.Delete(part);
            }

            throw;
        }
    }

    /// <summary>The error for a job that has no video to download, saying why.</summary>
    public static VeoApiException NoVideo(JobStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        string why = status.HasEnded
            ? $"it ended {status.Phase}{(status.Error is { } error ? ": " + error.TrimEnd('.') : string.Empty)}"
            : $"it is still {status.Phase}; watch it with: veo watch {status.JobId}";
        return new VeoApiException(ApiFailure.Rejected, $"Job {status.JobId} has no video: {why}.");
    }

    private static async Task<long> CopyAsync(Stream source, Stream target, long expected, Action<long, long>? progress, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long copied = 0;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        while (true)
        {
            idle.CancelAfter(IdleTimeout);
            int read;
            try
            {
                read = await source.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new VeoApiException(ApiFailure.Unavailable, $"The download stalled after {copied} of {expected} bytes; nothing was saved.", inner: ex);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                throw new VeoApiException(ApiFailure.Unavailable, $"The download broke off after {copied} of {expected} bytes; nothing was saved.", inner: ex);
            }

            if (read == 0)
            {
                return copied;
            }

            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            copied += read;
            progress?.Invoke(copied, expected);
        }
    }
}
