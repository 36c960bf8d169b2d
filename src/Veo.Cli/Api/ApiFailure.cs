namespace Veo.Cli.Api;

/// <summary>Why a call to the app did not succeed, in the few kinds a script needs to tell apart.</summary>
public enum ApiFailure
{
    /// <summary>The app refused the request as asked: bad input (400, 413, 415), a reused Idempotency-Key (422) or the wrong moment for it (409).</summary>
    Rejected,

    /// <summary>No such job (404), or no such endpoint: not a VeoFunctions app.</summary>
    NotFound,

    /// <summary>The function key is missing or wrong (401, 403).</summary>
    Unauthorized,

    /// <summary>The app's daily budget has no room for the job (402): nothing was started, and nothing will be until it renews.</summary>
    OverBudget,

    /// <summary>The app could not be reached, did not answer in time, failed (5xx), or a download came up short.</summary>
    Unavailable,
}
