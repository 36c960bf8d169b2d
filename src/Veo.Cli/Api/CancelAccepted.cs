namespace Veo.Cli.Api;

/// <summary>What <c>POST /api/videos/{jobId}/cancel</c> answers with 202.</summary>
public sealed record CancelAccepted(string JobId, bool CancelRequested);
