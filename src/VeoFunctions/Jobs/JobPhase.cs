using System.Text.Json.Serialization;

namespace VeoFunctions.Jobs;

/// <summary>Where a job is, in the order a job passes through; <see cref="Cancelled"/> is a caller's stop.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobPhase>))]
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
