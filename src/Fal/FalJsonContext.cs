using System.Text.Json.Serialization;
using Fal.Veo31;
using Fal.Webhooks;

namespace Fal;

/// <summary>Source-generated JSON metadata for the public fal payloads.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReferenceToVideoInput))]
[JsonSerializable(typeof(ReferenceToVideoOutput))]
[JsonSerializable(typeof(FalWebhookDelivery))]
public sealed partial class FalJsonContext : JsonSerializerContext;
