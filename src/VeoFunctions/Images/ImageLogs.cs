using System.Net;
using Microsoft.Extensions.Logging;

namespace VeoFunctions.Images;

/// <summary>Source-generated log messages for the image area (event ids 4100-4199). URLs are always redacted.</summary>
internal static partial class ImageLogs
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Debug, Message = "Downloading image from {Url}")]
    public static partial void Downloading(ILogger logger, string url);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "Image at {Url} redirected ({StatusCode}) to {Target}")]
    public static partial void Redirected(ILogger logger, string url, int statusCode, string target);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Downloaded {Format} image {Width}x{Height} ({Bytes} bytes) from {Url} in {ElapsedMs} ms")]
    public static partial void Downloaded(ILogger logger, ImageFormat format, int width, int height, int bytes, string url, long elapsedMs);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Image at {Url} rejected: {Reason}")]
    public static partial void Rejected(ILogger logger, string url, string reason);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Transient failure downloading image from {Url}: {Reason}")]
    public static partial void TransientFailure(ILogger logger, string url, string reason, Exception? exception);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "Refused to connect to {Host} at non-public address {Address} for an image download")]
    public static partial void BlockedAddress(ILogger logger, string host, IPAddress address);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Debug, Message = "Image at {Url} declared content type {Declared} but is {Actual}")]
    public static partial void ContentTypeMismatch(ILogger logger, string url, string? declared, string actual);
}
