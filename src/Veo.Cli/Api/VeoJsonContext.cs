using System.Text.Json.Serialization;

namespace Veo.Cli.Api;

/// <summary>Source-generated JSON for the app's wire types: camelCase as the app writes, nulls left out.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VideoRequest))]
[JsonSerializable(typeof(JobAccepted))]
[JsonSerializable(typeof(JobStatus))]
[JsonSerializable(typeof(JobPage))]
[JsonSerializable(typeof(CancelAccepted))]
[JsonSerializable(typeof(Problem))]
[JsonSerializable(typeof(Downloads.SavedVideo))]
internal sealed partial class VeoJsonContext : JsonSerializerContext;
