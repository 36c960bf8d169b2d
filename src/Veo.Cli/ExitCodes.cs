using Veo.Cli.Api;

namespace Veo.Cli;

/// <summary>What <c>veo</c> exits with, so scripts can tell a failed job from a wrong key from an app that is down.</summary>
public static class ExitCodes
{
    /// <summary>Done; for <c>watch</c>, the job completed.</summary>
    public const int Ok = 0;

    /// <summary>The command line is wrong: unknown option, missing value, a local image that is missing or not an image.</summary>
    public const int Usage = 1;

    /// <summary>The watched job failed.</summary>
    public const int JobFailed = 2;

    /// <summary>The watched job was cancelled (its video may still have been archived and downloaded).</summary>
    public const int JobCancelled = 3;

    /// <summary>The app refused the request: invalid input (400, 413, 415), an Idempotency-Key reused for another request (422), or not now (409: job ended, no video yet).</summary>
    public const int Rejected = 4;

    /// <summary>No job with that id (404).</summary>
    public const int NotFound = 5;

    /// <summary>The function key is missing or wrong (401, 403).</summary>
    public const int Unauthorized = 6;

    /// <summary>The app could not be reached, timed out or failed (5xx), or a download came up short.</summary>
    public const int Unavailable = 7;

    /// <summary>
    /// The app's daily budget has no room for the job (402): nothing was started, and sending it again changes nothing
    /// until the budget renews (the message says when).
    /// </summary>
    public const int OverBudget = 8;

    /// <summary>A bug in veo itself.</summary>
    public const int Internal = 70;

    /// <summary>Stopped with Ctrl-C (the job itself goes on).</summary>
    public const int Interrupted = 130;

    public static int For(ApiFailure failure) => failure switch
    {
        ApiFailure.Rejected => Rejected,
        ApiFailure.NotFound => NotFound,
        ApiFailure.Unauthorized => Unauthorized,
        ApiFailure.OverBudget => OverBudget,
        _ => Unavailable,
    };

    /// <summary>The exit code of a watch that saw the job end in <paramref name="phase"/>.</summary>
    public static int ForEnd(string phase) => phase switch
    {
        JobPhases.Completed => Ok,
        JobPhases.Cancelled => JobCancelled,
        _ => JobFailed,
    };
}
