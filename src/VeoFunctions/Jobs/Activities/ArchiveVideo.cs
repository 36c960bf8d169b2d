using Microsoft.DurableTask;
using VeoFunctions.Archive;

namespace VeoFunctions.Jobs.Activities;

/// <summary>Streams the finished video into the user's videos container, with its manifest.</summary>
public sealed class ArchiveVideo(VideoArchive archive) : TaskActivity<ArchiveRequest, ArchivedVideo>
{
    public override Task<ArchivedVideo> RunAsync(TaskActivityContext context, ArchiveRequest input) =>
        archive.ArchiveAsync(input, CancellationToken.None);
}
