using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using Moq;
using VeoFunctions.Storage;

namespace VeoFunctions.Tests.Storage;

public sealed class BlobContainersTests
{
    private readonly Mock<BlobServiceClient> _service = new(MockBehavior.Strict);
    private readonly Mock<BlobContainerClient> _work = new(MockBehavior.Strict);

    public BlobContainersTests()
    {
        _service.Setup(s => s.GetBlobContainerClient("veo-work")).Returns(_work.Object);
    }

    private BlobContainers Containers() => new(_service.Object, Options.Create(new StorageOptions { ConnectionString = "UseDevelopmentStorage=true" }));

    private static Response<BlobContainerInfo> Created() =>
        Response.FromValue(BlobsModelFactory.BlobContainerInfo(new ETag("c"), DateTimeOffset.UnixEpoch), Mock.Of<Response>());

    private void SetupCreate(Func<Task<Response<BlobContainerInfo>>> answer) =>
        _work.Setup(c => c.CreateIfNotExistsAsync(It.IsAny<PublicAccessType>(), It.IsAny<IDictionary<string, string>>(), It.IsAny<BlobContainerEncryptionScopeOptions>(), It.IsAny<CancellationToken>()))
            .Returns(answer);

    private void VerifyCreated(int times) =>
        _work.Verify(c => c.CreateIfNotExistsAsync(It.IsAny<PublicAccessType>(), It.IsAny<IDictionary<string, string>>(), It.IsAny<BlobContainerEncryptionScopeOptions>(), It.IsAny<CancellationToken>()), Times.Exactly(times));

    [Fact]
    public async Task AFirstCallThatFails_IsNotKept_TheNextCallTriesAgainAndItsSuccessIsKept()
    {
        int calls = 0;
        SetupCreate(() => ++calls == 1
            ? throw new RequestFailedException(403, "This request is not authorized to perform this operation.", "AuthorizationPermissionMismatch", null)
            : Task.FromResult(Created()));
        var containers = Containers();

        var denied = await Assert.ThrowsAsync<RequestFailedException>(containers.WorkAsync);
        var second = await containers.WorkAsync();
        var third = await containers.WorkAsync();

        Assert.Equal(403, denied.Status);
        Assert.Same(_work.Object, second);
        Assert.Same(second, third);
        VerifyCreated(2);
    }

    [Fact]
    public async Task ConcurrentFirstCalls_ShareOneAttempt()
    {
        var create = new TaskCompletionSource<Response<BlobContainerInfo>>(TaskCreationOptions.RunContinuationsAsynchronously);
        SetupCreate(() => create.Task);
        var containers = Containers();

        var callers = Enumerable.Range(0, 8).Select(_ => containers.WorkAsync()).ToList();
        create.SetResult(Created());
        var results = await Task.WhenAll(callers);

        Assert.All(results, container => Assert.Same(_work.Object, container));
        VerifyCreated(1);
    }

    [Fact]
    public async Task ConcurrentCallersOfAFailedAttempt_AllSeeTheFailure_AndTheNextCallerStartsAfresh()
    {
        var first = new TaskCompletionSource<Response<BlobContainerInfo>>(TaskCreationOptions.RunContinuationsAsynchronously);
        int calls = 0;
        SetupCreate(() => ++calls == 1 ? first.Task : Task.FromResult(Created()));
        var containers = Containers();

        var callers = Enumerable.Range(0, 4).Select(_ => containers.WorkAsync()).ToList();
        first.SetException(new RequestFailedException(503, "Server busy."));
        foreach (var caller in callers)
        {
            await Assert.ThrowsAsync<RequestFailedException>(() => caller);
        }

        Assert.Same(_work.Object, await containers.WorkAsync());
        VerifyCreated(2);
    }
}
