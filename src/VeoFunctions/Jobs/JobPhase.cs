using System.Text.Json;
using System.Text.Json.Serialization;

namespace VeoFunctions.Jobs;

/// <summary>Where a job is, in the order a job passes through; <see cref="Cancelled"/> is a caller's stop.</summary>
/// <remarks>Written in lower case, as the API shows phases; read in any case (custom statuses of the first release say "Queued").</remarks>
[JsonConverter(typeof(JobPhaseJsonConverter))]
public enum JobPhase
{
    Validating,
    Uploading,
    Submitting,
    Queued,
    Generating,
    Archiving,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>Lower-case names, as <c>phase</c> is everywhere in the API.</summary>
internal sealed class JobPhaseJsonConverter() : JsonStringEnumConverter<JobPhase>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false);
