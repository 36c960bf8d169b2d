using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VeoFunctions.Money;
using VeoFunctions.Storage;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// The daily budget's storage on an Azurite (a fresh work container and table), each <see cref="Process"/> an app
/// instance of its own, and every storage request counted with its bytes: the figures of the budget's tests and bench.
/// </summary>
public sealed class BudgetStorage
{
    private readonly Counter _counter = new();
    private readonly BlobContainers _containers;
    private readonly StorageTables _tables;
    private readonly IOptions<MoneyOptions> _money;

    public BudgetStorage(Azurite azurite, decimal budgetUsd)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        var storage = Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString, WorkContainer = $"budget-{Guid.NewGuid():N}"[..30], BudgetTable = $"budget{Guid.NewGuid():N}"[..30] });
        var blobOptions = new BlobClientOptions();
        blobOptions.AddPolicy(_counter, HttpPipelinePosition.PerRetry);
        var tableOptions = new TableClientOptions();
        tableOptions.AddPolicy(_counter, HttpPipelinePosition.PerRetry);
        _containers = new BlobContainers(new BlobServiceClient(azurite.ConnectionString, blobOptions), storage);
        _tables = new StorageTables(new TableServiceClient(azurite.ConnectionString, tableOptions), storage);
        _money = Options.Create(new MoneyOptions { DailyBudgetUsd = budgetUsd });
    }

    /// <summary>Storage requests so far (each retry counts).</summary>
    public long Requests => Interlocked.Read(ref _counter.Requests);

    /// <summary>Request and response bodies so far, in bytes.</summary>
    public long Bytes => Interlocked.Read(ref _counter.Bytes);

    /// <summary>The work container (where the earlier release kept each day's blob).</summary>
    public BlobContainers Containers => _containers;

    /// <summary>A budget as one app instance holds it (with its own group commit).</summary>
    public DailyBudget Process() => new(_containers, _tables, _money, TimeProvider.System, NullLogger<DailyBudget>.Instance);

    private sealed class Counter : HttpPipelineSynchronousPolicy
    {
        public long Requests;
        public long Bytes;

        public override void OnReceivedResponse(HttpMessage message)
        {
            Interlocked.Increment(ref Requests);
            long sent = message.Request.Content is { } content && content.TryComputeLength(out long length) ? length : 0;
            Interlocked.Add(ref Bytes, sent + (message.Response.Headers.ContentLength ?? 0));
        }
    }
}
