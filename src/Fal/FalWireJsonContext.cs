using System.Text.Json.Serialization;
using Fal.Platform;
using Fal.Queue;
using Fal.Storage;
using Fal.Webhooks;

namespace Fal;

/// <summary>Source-generated JSON metadata for fal's wire shapes (internal; mapped to public records).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SubmitResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(CancelResponse))]
[JsonSerializable(typeof(InitiateUploadRequest))]
[JsonSerializable(typeof(InitiateUploadResponse))]
[JsonSerializable(typeof(ObjectLifecycle))]
[JsonSerializable(typeof(JsonWebKeySet))]
[JsonSerializable(typeof(RequestsPage))]
[JsonSerializable(typeof(PricesPage))]
[JsonSerializable(typeof(BillingPage))]
[JsonSerializable(typeof(PayloadDeletionResponse))]
internal sealed partial class FalWireJsonContext : JsonSerializerContext;
