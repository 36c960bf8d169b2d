using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using VeoFunctions.Storage;

namespace VeoFunctions.Tests.Support;

/// <summary>Download links signed offline with the development storage account's well-known key.</summary>
internal static class TestLinks
{
    public static VideoLinks Create(TimeProvider? time = null) => new(
        new BlobServiceClient("UseDevelopmentStorage=true"),
        Microsoft.Extensions.Options.Options.Create(FakeBlobStorage.Options),
        time ?? TimeProvider.System,
        NullLogger<VideoLinks>.Instance);
}
