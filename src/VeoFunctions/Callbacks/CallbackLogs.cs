using System.Net;
using Microsoft.Extensions.Logging;

namespace VeoFunctions.Callbacks;

/// <summary>Source-generated log messages for callbacks (event ids 4200-4299). URLs are always redacted; secrets never logged.</summary>
internal static partial class CallbackLogs
{
    [LoggerMessage(EventId = 4200, Level = LogLevel.Information, Message = "Callback {EventId} of job {JobId} delivered to {Url} ({StatusCode})")]
    public static partial void Delivered(ILogger logger, string jobId, string eventId, string url, int statusCode);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Callback {EventId} of job {JobId} will be tried again: {Reason}")]
    public static partial void WillRetry(ILogger logger, string jobId, string eventId, string reason, Exception? exception);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "Callback of job {JobId} not delivered: {Reason}")]
    public static partial void Refused(ILogger logger, string jobId, string reason);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Warning, Message = "Refused to connect to {Host} at non-public address {Address} for a callback of job {JobId}")]
    public static partial void BlockedAddress(ILogger logger, string jobId, string host, IPAddress address);
}
