namespace VeoFunctions.Jobs;

/// <summary>The manifest a job came from (its blob and the job's place in it), so the job can report to its result file.</summary>
public sealed record ManifestEntry(string Container, string BlobName, int Index, string? Id);
