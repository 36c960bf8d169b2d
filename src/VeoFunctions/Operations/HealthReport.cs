namespace VeoFunctions.Operations;

/// <summary>
/// What <c>GET /api/health</c> answers: each dependency reachable or not, with a short reason that names a status
/// code or an error kind, never a secret, a URL or an exception's message.
/// </summary>
public sealed record HealthReport(string Status, IReadOnlyDictionary<string, HealthCheck> Checks, bool FalAdminKeyConfigured)
{
    public bool Healthy => Status == "healthy";
}

/// <summary>One dependency: reachable, and if not, why in a few words.</summary>
public sealed record HealthCheck(bool Healthy, string? Problem = null);
