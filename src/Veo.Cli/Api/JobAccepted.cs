namespace Veo.Cli.Api;

/// <summary>What <c>POST /api/videos</c> answers with 202: the job, and whether an earlier request made it.</summary>
public sealed record JobAccepted(string JobId, Uri StatusUrl, bool Replayed);
