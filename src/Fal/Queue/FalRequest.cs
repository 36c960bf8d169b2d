namespace Fal.Queue;

/// <summary>
/// A request fal accepted: its id and the URLs fal returned for it. Keep this the moment submit answers;
/// it is all that is needed to ask for status, fetch the result or cancel, from any process.
/// </summary>
public sealed record FalRequest(string EndpointId, string RequestId, Uri StatusUrl, Uri ResponseUrl, Uri CancelUrl)
{
    /// <summary>Derives the URLs from a request id alone, for when fal's own URLs were not kept.</summary>
    public static FalRequest FromRequestId(string endpointId, string requestId, Uri queueBase)
    {
        var endpoint = FalEndpoint.Parse(endpointId);
        return new(endpointId, requestId, endpoint.StatusUrl(queueBase, requestId), endpoint.ResponseUrl(queueBase, requestId), endpoint.CancelUrl(queueBase, requestId));
    }
}

/// <summary>What submit answered: the request, and where it stands in fal's queue.</summary>
public sealed record FalSubmission(FalRequest Request, int? QueuePosition);

/// <summary>Optional submit settings.</summary>
public sealed record FalSubmitOptions
{
    /// <summary>fal POSTs the outcome here (<c>fal_webhook</c>).</summary>
    public Uri? WebhookUrl { get; init; }

    /// <summary><c>normal</c> or <c>low</c> (<c>x-fal-queue-priority</c>).</summary>
    public string? Priority { get; init; }

    /// <summary>A start deadline covering the wait in fal's queue (<c>x-fal-request-timeout</c>).</summary>
    public TimeSpan? StartTimeout { get; init; }
}
