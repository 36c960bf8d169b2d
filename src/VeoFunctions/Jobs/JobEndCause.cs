using System.Text.Json.Serialization;

namespace VeoFunctions.Jobs;

/// <summary>
/// Why a job ended, in a word a metric can count and an alert can test. The expected ones are outcomes the app
/// handles as designed (a caller's cancel, fal's verdict on the input, a refused input); the others mean fal may have
/// been paid for a video the job could not get, or a step kept failing: an on-call engineer should look.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobEndCause>))]
public enum JobEndCause
{
    /// <summary>The video is archived.</summary>
    Completed,

    /// <summary>Its caller cancelled it.</summary>
    Cancelled,

    /// <summary>An input was refused before fal accepted the request (an image, fal's 4xx at submit).</summary>
    Refused,

    /// <summary>fal said the generation failed (content policy, the model's error, fal's own failure).</summary>
    FalFailed,

    /// <summary>fal never said how the request ended (past the deadline and the cancel's grace).</summary>
    NoVerdict,

    /// <summary>fal's answer to the submit was lost and the request could not be settled.</summary>
    LostSubmit,

    /// <summary>fal finished, but its result was gone before it could be archived.</summary>
    ResultGone,

    /// <summary>A step kept failing after its retries (storage, fal's API, a bug).</summary>
    StepFailed,
}

/// <summary>Which ends are expected.</summary>
public static class JobEndCauses
{
    public static bool IsExpected(this JobEndCause cause) => cause is JobEndCause.Completed or JobEndCause.Cancelled or JobEndCause.Refused or JobEndCause.FalFailed;
}
