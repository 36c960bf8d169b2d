using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VeoFunctions.Images;

/// <summary>
/// Fetches a user-supplied image URL into memory without letting the user aim our servers at our own
/// network (SSRF), exhaust our memory, or hold a worker hostage, and proves the bytes are a usable image.
/// </summary>
/// <remarks>
/// <para>Register the <see cref="HttpClient"/> with the handler from <see cref="CreateHandler"/>, for
/// example <c>services.AddHttpClient&lt;SafeImageDownloader&gt;().ConfigurePrimaryHttpMessageHandler(sp =&gt;
/// SafeImageDownloader.CreateHandler(sp.GetRequiredService&lt;IOptions&lt;ImageOptions&gt;&gt;().Value))</c>.
/// Do not add automatic-retry or redirect-following handlers to that client: redirects are followed here
/// so each hop is re-checked, and the caller decides about retries from the exception type.</para>
/// <para>Failures are split in two: <see cref="ImageRejectedException"/> is the user's fault and final;
/// <see cref="ImageDownloadException"/> is transient and may be retried.</para>
/// </remarks>
/// <param name="httpClient">A client whose primary handler came from <see cref="CreateHandler"/>.</param>
/// <param name="options">Size, time and network limits.</param>
/// <param name="logger">Logger; URLs are logged without their query strings.</param>
public sealed class SafeImageDownloader(HttpClient httpClient, IOptions<ImageOptions> options, ILogger<SafeImageDownloader> logger)
{
    private const string BlockedReason = "The image URL points to a private or reserved network address, which is not allowed.";

    /// <summary>
    /// Creates the handler the downloader's <see cref="HttpClient"/> must use. It resolves DNS itself and
    /// vets every resolved address at connect time, on the address actually connected to, which defeats
    /// DNS rebinding; it never follows redirects, never decompresses (no gzip bombs), and never uses a
    /// proxy (a proxy would make the vetted address the proxy's rather than the target's).
    /// </summary>
    /// <param name="options">Allow-list and timeout settings; captured at creation.</param>
    /// <returns>A new handler; the caller owns it.</returns>
    public static SocketsHttpHandler CreateHandler(ImageOptions options) => CreateHandler(options, Dns.GetHostAddressesAsync);

    /// <summary>The same handler, resolving names with <paramref name="resolve"/> (tests stand in for DNS).</summary>
    internal static SocketsHttpHandler CreateHandler(ImageOptions options, Func<string, CancellationToken, Task<IPAddress[]>> resolve)
    {
        ArgumentNullException.ThrowIfNull(options);
        string[] allowList = [.. options.AllowedPrivateHosts];
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            UseCookies = false,
            PreAuthenticate = false,
            Credentials = null,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = options.DownloadTimeout,
            MaxResponseHeadersLength = 64,
            MaxResponseDrainSize = 64 * 1024,
            ResponseDrainTimeout = TimeSpan.FromSeconds(1),
            ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, allowList, resolve, cancellationToken),
        };
    }

    /// <summary>
    /// Loads an image reference as the API receives it: a <c>data:</c> URI is decoded and inspected
    /// locally, anything else is downloaded with <see cref="DownloadAsync"/>.
    /// </summary>
    /// <param name="reference">An https URL or a base64 data: URI.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The inspected image.</returns>
    /// <exception cref="ImageRejectedException">The reference cannot be used.</exception>
    /// <exception cref="ImageDownloadException">A transient download failure.</exception>
    public async Task<DownloadedImage> LoadAsync(string reference, CancellationToken cancellationToken = default)
    {
        if (!DataUri.IsDataUri(reference))
        {
            return await DownloadAsync(reference, cancellationToken).ConfigureAwait(false);
        }

        var limits = options.Value;
        if (!DataUri.TryParse(reference, limits.MaxImageBytes, out string? mediaType, out byte[]? bytes, out string? error))
        {
            throw new ImageRejectedException(error);
        }

        var inspection = ImageInspector.Inspect(bytes, limits);
        if (!inspection.IsAccepted)
        {
            throw new ImageRejectedException(inspection.RejectionReason);
        }

        return new DownloadedImage(bytes, inspection.Image, mediaType);
    }

    /// <summary>Downloads and inspects the image at <paramref name="url"/>.</summary>
    /// <param name="url">The URL as the user gave it.</param>
    /// <param name="cancellationToken">Cancels the download; surfaces as <see cref="OperationCanceledException"/>.</param>
    /// <returns>The bytes and what they are.</returns>
    /// <exception cref="ImageRejectedException">The URL or the image cannot be used; do not retry.</exception>
    /// <exception cref="ImageDownloadException">A transient failure; a retry may succeed.</exception>
    public async Task<DownloadedImage> DownloadAsync(string url, CancellationToken cancellationToken = default)
    {
        if (!ImageUrlPolicy.TryValidate(url, options.Value, out var uri, out string? reason))
        {
            throw new ImageRejectedException(reason);
        }

        return await DownloadAsync(uri, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Downloads and inspects the image at <paramref name="url"/>; the URL is re-checked first.</summary>
    /// <param name="url">An absolute URL, typically one that already passed <see cref="ImageUrlPolicy"/>.</param>
    /// <param name="cancellationToken">Cancels the download; surfaces as <see cref="OperationCanceledException"/>.</param>
    /// <returns>The bytes and what they are.</returns>
    /// <exception cref="ImageRejectedException">The URL or the image cannot be used; do not retry.</exception>
    /// <exception cref="ImageDownloadException">A transient failure; a retry may succeed.</exception>
    public async Task<DownloadedImage> DownloadAsync(Uri url, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        var limits = options.Value;
        if (!ImageUrlPolicy.TryValidate(url, limits, out string? reason))
        {
            throw new ImageRejectedException(reason);
        }

        var uri = url;
        string redacted = UrlRedaction.Redact(uri);
        ImageLogs.Downloading(logger, redacted);
        long started = Stopwatch.GetTimestamp();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limits.DownloadTimeout);
        try
        {
            var image = await DownloadCoreAsync(uri, redacted, limits, timeout.Token).ConfigureAwait(false);
            ImageLogs.Downloaded(
                logger,
                image.Image.Format,
                image.Image.Width,
                image.Image.Height,
                image.Bytes.Length,
                redacted,
                (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return image;
        }
        catch (ImageRejectedException ex)
        {
            ImageLogs.Rejected(logger, redacted, ex.Reason);
            throw;
        }
        catch (ImageDownloadException ex)
        {
            ImageLogs.TransientFailure(logger, redacted, ex.Message, null);
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is IOException or HttpRequestException)
        {
            throw new OperationCanceledException("The image download was cancelled.", ex, cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException
            || (timeout.IsCancellationRequested && ex is IOException or HttpRequestException))
        {
            // Our own deadline, or HttpClient.Timeout if the registered client has a shorter one.
            double seconds = limits.DownloadTimeout.TotalSeconds;
            string message = FormattableString.Invariant(
                $"The image at {redacted} did not download within {seconds:0.#} {(seconds == 1 ? "second" : "seconds")}.");
            ImageLogs.TransientFailure(logger, redacted, message, ex);
            throw new ImageDownloadException(message, isTransient: true, retryAfter: null, redacted, ex);
        }
        catch (HttpRequestException ex) when (FindInner<BlockedAddressException>(ex) is { } blocked)
        {
            ImageLogs.BlockedAddress(logger, blocked.Host, blocked.Address);
            ImageLogs.Rejected(logger, redacted, BlockedReason);
            throw new ImageRejectedException(BlockedReason, redacted, ex);
        }
        catch (HttpRequestException ex) when (FindInner<SocketException>(ex) is { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData })
        {
            string message = $"The image at {redacted} could not be downloaded: its host name does not exist.";
            ImageLogs.Rejected(logger, redacted, message);
            throw new ImageRejectedException(message, redacted, ex);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.SecureConnectionError)
        {
            string message = $"The image at {redacted} could not be downloaded: a secure (TLS) connection to the server could not be established.";
            ImageLogs.Rejected(logger, redacted, message);
            throw new ImageRejectedException(message, redacted, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            string message = $"The image at {redacted} could not be downloaded because of a network error.";
            ImageLogs.TransientFailure(logger, redacted, message, ex);
            throw new ImageDownloadException(message, isTransient: true, retryAfter: null, redacted, ex);
        }
    }

    private async Task<DownloadedImage> DownloadCoreAsync(Uri uri, string redacted, ImageOptions limits, CancellationToken cancellationToken)
    {
        var current = uri;
        for (int redirects = 0; ; redirects++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            request.Headers.TryAddWithoutValidation("Accept", "image/png, image/jpeg, image/webp, */*;q=0.1");
            using var response = await httpClient
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                .ConfigureAwait(false);

            int status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308)
            {
                if (redirects >= limits.MaxRedirects)
                {
                    throw new ImageRejectedException(
                        $"The image at {redacted} redirected more than {limits.MaxRedirects} times.", redacted);
                }

                if (!ImageUrlPolicy.TryValidateRedirect(current, response.Headers.Location, limits, out var next, out string? why))
                {
                    throw new ImageRejectedException(why, redacted);
                }

                ImageLogs.Redirected(logger, UrlRedaction.Redact(current), status, UrlRedaction.Redact(next));
                current = next;
                continue;
            }

            if (status is 408 or 429 or >= 500)
            {
                throw new ImageDownloadException(
                    $"The image at {redacted} could not be downloaded right now: the server answered {Describe(response.StatusCode)}.",
                    isTransient: true,
                    retryAfter: response.Headers.RetryAfter?.Delta,
                    redacted);
            }

            if (status is < 200 or >= 300)
            {
                throw new ImageRejectedException(
                    $"The image at {redacted} could not be downloaded: the server answered {Describe(response.StatusCode)}.",
                    redacted);
            }

            long? declared = response.Content.Headers.ContentLength;
            if (declared > limits.MaxImageBytes)
            {
                throw new ImageRejectedException(
                    $"The image at {redacted} is {ImageInspector.FormatSize(declared.Value)}; at most {ImageInspector.FormatSize(limits.MaxImageBytes)} are accepted.",
                    redacted);
            }

            var bytes = await ReadCappedAsync(response.Content, declared, limits.MaxImageBytes, cancellationToken).ConfigureAwait(false)
                ?? throw new ImageRejectedException(
                    $"The image at {redacted} is larger than {ImageInspector.FormatSize(limits.MaxImageBytes)}, the most that is accepted.",
                    redacted);

            var inspection = ImageInspector.Inspect(bytes.Span, limits);
            if (!inspection.IsAccepted)
            {
                throw new ImageRejectedException(inspection.RejectionReason, redacted);
            }

            string? declaredType = response.Content.Headers.ContentType?.MediaType;
            if (!inspection.Image.MatchesContentType(declaredType))
            {
                ImageLogs.ContentTypeMismatch(logger, redacted, declaredType, inspection.Image.ContentType);
            }

            return new DownloadedImage(bytes, inspection.Image, declaredType);
        }
    }

    /// <summary>Reads the body, stopping as soon as it exceeds <paramref name="maxBytes"/>; null when it does.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadCappedAsync(HttpContent content, long? declared, int maxBytes, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            // Sized from the declared length when there is one, but never trusting it: the loop grows as needed.
            long initial = Math.Clamp((declared ?? 64 * 1024) + 1, 1, (long)maxBytes + 1);
            var buffer = new byte[initial];
            int total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    long grown = Math.Min((long)buffer.Length * 2, (long)maxBytes + 1);
                    Array.Resize(ref buffer, (int)Math.Max(grown, buffer.Length + 1));
                }

                int read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer.AsMemory(0, total);
                }

                total += read;
                if (total > maxBytes)
                {
                    return null;
                }
            }
        }
    }

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, string[] allowList, Func<string, CancellationToken, Task<IPAddress[]>> resolve, CancellationToken cancellationToken)
    {
        string host = endpoint.Host.Trim('[', ']');
        IPAddress[] addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await resolve(host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        // Every address must pass, not just the first: the socket may fall back to any of them.
        if (!IpAddressPolicy.IsAllowListed(host, allowList))
        {
            foreach (var address in addresses)
            {
                if (!IpAddressPolicy.IsPublic(address) && !IpAddressPolicy.IsAllowListed(address, allowList))
                {
                    throw new BlockedAddressException(host, address);
                }
            }
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The first exception of type <typeparamref name="T"/> below <paramref name="exception"/>.</summary>
    internal static T? FindInner<T>(Exception exception)
        where T : Exception
    {
        for (var current = exception.InnerException; current is not null; current = current.InnerException)
        {
            if (current is T match)
            {
                return match;
            }
        }

        return null;
    }

    /// <summary>A status as people read it: "404 Not Found".</summary>
    internal static string Describe(HttpStatusCode statusCode)
    {
        int code = (int)statusCode;
        string? name = Enum.IsDefined(statusCode) ? statusCode.ToString() : null;
        if (name is null)
        {
            return code.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var words = new System.Text.StringBuilder();
        foreach (char c in name)
        {
            if (char.IsUpper(c) && words.Length > 0)
            {
                words.Append(' ');
            }

            words.Append(c);
        }

        return FormattableString.Invariant($"{code} {words}");
    }
}
