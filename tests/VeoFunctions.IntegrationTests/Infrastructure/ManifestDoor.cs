using System.Net;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using VeoFunctions.Functions;
using VeoFunctions.Manifests;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// The manifest door of a <see cref="Pipeline"/>, driven as the Functions host drives it. The host cannot run here, and
/// Azurite raises no Event Grid events, so a delivery is what the host does with one: it hands the function class
/// (resolved from the app's own services, as <see cref="FunctionsHttpHost"/> resolves the HTTP ones) a
/// <see cref="BlobClient"/> for the blob the event names. The jobs and images containers are created private, as
/// the deployment creates them.
/// </summary>
public sealed class ManifestDoor
{
    private ManifestDoor(Pipeline pipeline, BlobServiceClient service)
    {
        Pipeline = pipeline;
        Service = service;
        Jobs = service.GetBlobContainerClient(pipeline.Configuration["Storage:JobsContainer"]);
        Images = service.GetBlobContainerClient(pipeline.Configuration["Storage:ImagesContainer"]);
    }

    public Pipeline Pipeline { get; }

    public BlobServiceClient Service { get; }

    public BlobContainerClient Jobs { get; }

    public BlobContainerClient Images { get; }

    public static async Task<ManifestDoor> OpenAsync(Pipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var door = new ManifestDoor(pipeline, new BlobServiceClient(pipeline.Configuration["Storage:ConnectionString"]));
        await door.Jobs.CreateIfNotExistsAsync();
        await door.Images.CreateIfNotExistsAsync();
        return door;
    }

    /// <summary>Uploads (or replaces) a blob; a replaced one gets a new ETag, as in Azure.</summary>
    public static async Task<BlobClient> UploadAsync(BlobContainerClient container, string name, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(container);
        var blob = container.GetBlobClient(name);
        await blob.UploadAsync(BinaryData.FromBytes(content), overwrite: true);
        return blob;
    }

    /// <summary>Uploads a manifest into the jobs container (the trigger does not fire by itself: see <see cref="DeliverAsync"/>).</summary>
    public Task<BlobClient> DropAsync(string name, object manifest) =>
        UploadAsync(Jobs, name, manifest is string text ? Encoding.UTF8.GetBytes(text) : JsonSerializer.SerializeToUtf8Bytes(manifest));

    /// <summary>One delivery of the blob-created event for <paramref name="blob"/>: the function runs once.</summary>
    public Task DeliverAsync(BlobClient blob)
    {
        var function = ActivatorUtilities.CreateInstance<StartManifestJobs>(Pipeline.Functions.Services);
        return function.RunAsync(blob, Pipeline.Client, CancellationToken.None);
    }

    /// <summary>Drops a manifest and delivers its event once.</summary>
    public async Task<BlobClient> DropAndDeliverAsync(string name, object manifest)
    {
        var blob = await DropAsync(name, manifest);
        await DeliverAsync(blob);
        return blob;
    }

    /// <summary>A JSON blob of the jobs container, or null when there is none.</summary>
    public async Task<JsonElement?> ReadAsync(string name)
    {
        try
        {
            var content = await Jobs.GetBlobClient(name).DownloadContentAsync();
            return JsonDocument.Parse(content.Value.Content.ToString()).RootElement;
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task<JsonElement?> ReadResultAsync(string manifest) => ReadAsync(ManifestFiles.ResultName(manifest));

    public Task<JsonElement?> ReadErrorsAsync(string manifest) => ReadAsync(ManifestFiles.ErrorName(manifest));

    /// <summary>Waits until the manifest's result file says no job is running any more, and returns it.</summary>
    public async Task<JsonElement> WaitForAllEndedAsync(string manifest, TimeSpan? timeout = null)
    {
        JsonElement? result = null;
        await Poll.UntilAsync(async () =>
        {
            result = await ReadResultAsync(manifest);
            return result is { } file && file.GetProperty("counts").GetProperty("running").GetInt32() == 0;
        }, timeout ?? Patience.Job);
        return result!.Value;
    }

    /// <summary>Every blob name in the jobs container.</summary>
    public async Task<List<string>> JobsBlobNamesAsync()
    {
        var names = new List<string>();
        await foreach (var item in Jobs.GetBlobsAsync())
        {
            names.Add(item.Name);
        }

        return names;
    }

    /// <summary>Every job orchestration the engine holds.</summary>
    public async Task<List<OrchestrationMetadata>> InstancesAsync() => await Pipeline.Client.GetAllInstancesAsync().ToListAsync();
}
