namespace VeoFunctions.Manifests;

/// <summary>
/// One problem with a manifest, as the error file lists it: the job it is in (null for the manifest as a whole),
/// that job's <c>id</c> if it has one, the field (as the HTTP door names it: <c>prompt</c>, <c>image_urls[1]</c>), why.
/// </summary>
public sealed record ManifestProblem(int? Job, string? Id, string Field, string Reason);
