using VeoFunctions.Jobs;

namespace VeoFunctions.Manifests;

/// <summary>One valid job of a manifest: its place, its own id if it has one, the draft, and a digest of its JSON.</summary>
public sealed record ManifestJob(int Index, string? Id, VideoJobDraft Draft, string Fingerprint);
