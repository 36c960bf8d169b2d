using Azure;

namespace VeoFunctions.Money;

/// <summary>Who claimed a job id first, for which request, and whether its job was started.</summary>
/// <param name="Won">This call created the claim: it is the one to start the job.</param>
/// <param name="Fingerprint">The digest of the request that claimed the id (<c>JobScheduler.Fingerprint</c>).</param>
/// <param name="ClaimedAt">When the id was claimed; an unstarted claim this old is taken to be abandoned.</param>
/// <param name="Started">
/// The job was scheduled. Once it was, the claim, not the orchestration's history (which may be purged), is what
/// tells a replay of the same request that it was already paid for.
/// </param>
/// <param name="ETag">The claim blob's version, so marking it started cannot overwrite another writer.</param>
/// <param name="Scheduling">
/// A starter went on to schedule the job under this claim (<see cref="JobClaims.BeginSchedulingAsync"/>): the job may
/// exist whatever became of that call, so the claim and its reservation are never given back, by that starter or a taker.
/// </param>
public sealed record JobClaim(bool Won, string Fingerprint, DateTimeOffset ClaimedAt, bool Started, ETag ETag, bool Scheduling = false);
