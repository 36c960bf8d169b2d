using System.Text.Json;
using System.Text.Json.Serialization;

namespace VeoFunctions.Jobs;

/// <summary>Where a job is, in the order a job passes through; <see cref="Cancelled"/> is a caller's stop.</summary>
/// <remarks>
/// Written in lower case, as the status document's <c>phase</c> names it, wherever a phase is serialized (the
/// timeline included); reading is case-insensitive, so state written as <c>"Validating"</c> still reads.
/// </remarks>
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

/// <summary>Phases as lower-case strings (every name is one word, so camel case is lower case).</summary>
public sealed class JobPhaseJsonConverter() : JsonStringEnumConverter<JobPhase>(JsonNamingPolicy.CamelCase);
