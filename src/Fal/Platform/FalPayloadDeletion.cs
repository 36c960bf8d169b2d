namespace Fal.Platform;

/// <summary>
/// What deleting a request's payloads achieved (<c>DELETE /v1/models/requests/{id}/payloads</c>, ADMIN key). fal deletes
/// the stored input and output and the output's CDN files; input CDN files stay (other requests may use them). It cannot
/// be undone. A file fal could not delete carries fal's reason.
/// </summary>
/// <param name="RequestId">The request whose payloads were deleted.</param>
/// <param name="Files">One entry per CDN file fal tried to delete.</param>
public sealed record FalPayloadDeletion(string RequestId, IReadOnlyList<FalCdnFileDeletion> Files)
{
    /// <summary>True when every file fal named was deleted.</summary>
    public bool AllFilesDeleted => Files.All(f => f.Deleted);
}

/// <summary>One CDN file of a payload deletion.</summary>
/// <param name="Link">The file's URL.</param>
/// <param name="Exception">Why fal could not delete it; null when it did.</param>
public sealed record FalCdnFileDeletion(string Link, string? Exception)
{
    /// <summary>True when fal deleted the file.</summary>
    public bool Deleted => Exception is null;
}
