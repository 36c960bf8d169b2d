using System.Text.Json;
using Fal;
using Fal.Webhooks;

namespace VeoFunctions.Jobs;

/// <summary>The verified webhook, reduced to what the orchestrator needs (raised as an external event).</summary>
public sealed record FalWebhookEvent(string RequestId, bool Ok, string? VideoUrl, string? ContentType, long? FileSize, string? Error)
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
            return new FalWebhookEvent(requestId, false, null, null, null, why);
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
}
