using System.Text.Json;
using Fal;
using Fal.Webhooks;

namespace VeoFunctions.Jobs;

/// <summary>
/// The verified webhook, reduced to what the orchestrator needs (raised as an external event). <see cref="StatusCode"/>
/// is the HTTP status fal's error names (<c>"Invalid status code: 503"</c>), when it names one: fal bills no 5xx.
/// </summary>
public sealed partial record FalWebhookEvent(string RequestId, bool Ok, string? VideoUrl, string? ContentType, long? FileSize, string? Error, int? StatusCode = null)
{
    /// <summary>Reads fal's delivery: the video it names, or fal's reason in one sentence.</summary>
    public static FalWebhookEvent From(FalWebhookDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        string requestId = delivery.RequestId!;
        if (!delivery.IsOk)
        {
            var detail = delivery.Payload is { } payload ? FalErrorDetail.FromJson(payload) : FalErrorDetail.Empty;
            string why = detail.Message.Length > 0 ? detail.Describe(0) : $"fal reported the generation failed: {delivery.Error ?? "no detail given"}.";
            int? status = delivery.Error is { } text && StatusInError().Match(text) is { Success: true } match
                ? int.Parse(match.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture)
                : null;
            return new FalWebhookEvent(requestId, false, null, null, null, why, status);
        }

        Fal.Veo31.FalFile? video = null;
        try
        {
            video = delivery.HasPayload ? delivery.Payload!.Value.Deserialize(FalJsonContext.Default.ReferenceToVideoOutput)?.Video : null;
        }
        catch (JsonException)
        {
            // An unexpected payload shape: the video is read from fal's queue instead.
        }

        return new FalWebhookEvent(requestId, true, video?.Url, video?.ContentType, video?.FileSize, null);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\bstatus code:?\s*(\d{3})\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex StatusInError();
}
