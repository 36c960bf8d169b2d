using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace VeoFunctions.Storage;

/// <summary>
/// The app's tables, created on first use; as with <see cref="BlobContainers"/>, only a successful create is kept.
/// </summary>
public sealed class StorageTables(TableServiceClient service, IOptions<StorageOptions> options)
{
    private readonly SuccessOnlyLazy<TableClient> _budget = new(async () =>
    {
        var table = service.GetTableClient(options.Value.BudgetTable);
        await table.CreateIfNotExistsAsync().ConfigureAwait(false);
        return table;
    });

    /// <summary>The daily budget's table (<see cref="StorageOptions.BudgetTable"/>).</summary>
    public Task<TableClient> BudgetAsync() => _budget.GetAsync();
}
