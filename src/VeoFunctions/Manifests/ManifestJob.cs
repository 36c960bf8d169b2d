using VeoFunctions.Jobs;

namespace VeoFunctions.Manifests;

/// <summary>
/// One valid job of a manifest: its place, its own id if it has one, the draft, and a digest of what it asks fal to
/// make (<see cref="Fingerprint"/>). An entry without an id is told apart from identical ones by
/// <see cref="Occurrence"/>: how many earlier id-less entries of the manifest have the same fingerprint.
/// <see cref="Earlier"/> holds the digests the previous releases kept in their claims, so their jobs are found.
/// </summary>
public sealed record ManifestJob(int Index, string? Id, VideoJobDraft Draft, string Fingerprint, int Occurrence = 0, EarlierFingerprints? Earlier = null);

/// <summary>
/// What the previous releases took as an entry's fingerprint: <see cref="Canonical"/> (the release that named an entry
/// by its position: canonical JSON with the batch's callback and priority) and <see cref="Raw"/> (the release that
/// named it by the blob's ETag: the entry's text as written, and the batch's defaults).
/// </summary>
public sealed record EarlierFingerprints(string Canonical, string Raw);
