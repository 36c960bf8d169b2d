using Veo.Cli.Api;

namespace Veo.Cli.Watching;

/// <summary>One look at a job: its status, or why the app could not be asked this time (the watch goes on).</summary>
public sealed record PollResult(ApiAnswer<JobStatus>? Answer, string? Trouble);
