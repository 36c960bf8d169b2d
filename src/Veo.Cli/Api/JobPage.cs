namespace Veo.Cli.Api;

/// <summary>One page of <c>GET /api/videos</c>, newest first; the token asks for the next page.</summary>
public sealed record JobPage(IReadOnlyList<JobStatus> Jobs, string? ContinuationToken);
