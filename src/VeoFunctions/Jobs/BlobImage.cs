namespace VeoFunctions.Jobs;

/// <summary>
/// A reference image a manifest names in the app's own storage (the images container): read with the app's own
/// identity and handed to fal through fal storage, so it never has to be public.
/// </summary>
public sealed record BlobImage(string Container, string Name);
