using System.Net;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Images;
using VeoFunctions.Jobs;
using VeoFunctions.Storage;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// A manifest's private image is staged for its job by a copy inside the storage account: only the version that was
/// checked, and without its bytes passing through the worker (issue 16 case 4: a 1,000-entry batch of 8 MB images must
/// fit the function timeout, so the intake moves each image once, to check it).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class ImageStagingTests(Azurite azurite)
{
    [Fact]
    public async Task APrivateImage_IsStagedServerSide_ByteForByte_WithoutItsBodyPassingThroughTheWorker_AndOnlyAsTheCheckedVersion()
    {
        var (staging, images, traffic) = await StagingAsync();
        byte[] photo = TestImages.NoisyPng(400, 400, seed: 11); // about 480 KB
        var blob = images.GetBlobClient("shoot/photo.png");
        await blob.UploadAsync(BinaryData.FromBytes(photo));
        string checkedVersion = (await blob.GetPropertiesAsync()).Value.ETag.ToString();
        traffic.Reset();

        var staged = await staging.StageBlobAsync("job1", 0, new BlobImage(images.Name, "shoot/photo.png"), checkedVersion, new InspectedImage(ImageFormat.Png, 400, 400), CancellationToken.None);

        // A few requests' headers and small answers at most: nowhere near the image in either direction.
        const long NoBody = 16 * 1024;
        Assert.True(traffic.Received < NoBody, $"staging read {traffic.Received} bytes of body through the worker (the image is {photo.Length})");
        Assert.True(traffic.Sent < NoBody, $"staging sent {traffic.Sent} bytes of body from the worker (the image is {photo.Length})");
        Assert.Equal(photo.Length, staged.Bytes);
        Assert.Equal("image/png", staged.ContentType);
        Assert.Equal(photo, (await staging.ReadAsync(staged, CancellationToken.None)).ToArray());

        // Replaced after its check (the pipeline uploaded other bytes under the name): the copy is refused, nothing is
        // staged, and the job's start fails, to be retried by an intake that checks the new bytes.
        await blob.UploadAsync(BinaryData.FromBytes(TestImages.NoisyPng(24, 24, seed: 3)), overwrite: true);
        var refused = await Assert.ThrowsAsync<Azure.RequestFailedException>(() =>
            staging.StageBlobAsync("job2", 0, new BlobImage(images.Name, "shoot/photo.png"), checkedVersion, new InspectedImage(ImageFormat.Png, 400, 400), CancellationToken.None));
        Assert.Equal((int)HttpStatusCode.PreconditionFailed, refused.Status);
        var work = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(_options.WorkContainer);
        Assert.False((await work.GetBlobClient($"{ImageStaging.Prefix}job2/images/0.png").ExistsAsync()).Value, "unchecked bytes were staged");
    }

    private readonly StorageOptions _options = new()
    {
        ConnectionString = "unused",
        WorkContainer = "work-" + Guid.NewGuid().ToString("N")[..12],
        ImagesContainer = "images-" + Guid.NewGuid().ToString("N")[..12],
    };

    // The app's staging over a storage client whose every byte of body, in and out, is counted.
    private async Task<(ImageStaging Staging, BlobContainerClient Images, BodyCounter Traffic)> StagingAsync()
    {
        var traffic = new BodyCounter();
        var service = new BlobServiceClient(azurite.ConnectionString, new BlobClientOptions { Transport = new HttpClientTransport(new HttpClient(traffic)) });
        var images = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(_options.ImagesContainer);
        await images.CreateIfNotExistsAsync();
        return (new ImageStaging(new BlobContainers(service, Options.Create(_options))), images, traffic);
    }

    private sealed class BodyCounter() : DelegatingHandler(new SocketsHttpHandler())
    {
        private long _received;
        private long _sent;

        public long Received => Interlocked.Read(ref _received);

        public long Sent => Interlocked.Read(ref _sent);

        public void Reset()
        {
            Interlocked.Exchange(ref _received, 0);
            Interlocked.Exchange(ref _sent, 0);
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is { } content)
            {
                Interlocked.Add(ref _sent, (await content.ReadAsByteArrayAsync(cancellationToken)).Length);
            }

            var response = await base.SendAsync(request, cancellationToken);
            byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            Interlocked.Add(ref _received, body.Length);
            var replayed = new ByteArrayContent(body);
            foreach (var header in response.Content.Headers)
            {
                replayed.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = replayed;
            return response;
        }
    }
}
