using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;
using Microsoft.Extensions.Options;
using Moq;
using VeoFunctions.Storage;

namespace VeoFunctions.Tests.Support;

/// <summary>
/// An in-memory Table service: point reads, a partition's query and entity-group transactions (insert, replace under
/// an ETag), all or nothing, as the budget uses them. Part of <see cref="FakeBlobStorage"/>'s account.
/// </summary>
internal sealed class FakeTables : TableServiceClient
{
    private readonly ConcurrentDictionary<string, FakeTable> _tables = new();

    /// <summary>Requests made to any table (reads and transactions).</summary>
    public int Requests;

    /// <summary>While set, every transaction waits for it to complete (a slow or throttled table); <see cref="Held"/> says one does.</summary>
    public TaskCompletionSource? Hold { get; set; }

    /// <summary>Completes when a transaction first waits on <see cref="Hold"/>.</summary>
    public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StorageTables Tables() => new(this, Microsoft.Extensions.Options.Options.Create(FakeBlobStorage.Options));

    public override TableClient GetTableClient(string tableName) => _tables.GetOrAdd(tableName, _ => new FakeTable(this));

    private sealed class FakeTable(FakeTables account) : TableClient
    {
        private readonly Dictionary<(string, string), TableEntity> _rows = [];
        private readonly Lock _gate = new();
        private int _versions;

        public override Task<Response<TableItem>> CreateIfNotExistsAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult(Response.FromValue(TableModelFactory.TableItem("t"), Mock.Of<Response>()));

        public override Task<NullableResponse<T>> GetEntityIfExistsAsync<T>(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref account.Requests);
            lock (_gate)
            {
                return Task.FromResult<NullableResponse<T>>(_rows.TryGetValue((partitionKey, rowKey), out var row)
                    ? Response.FromValue((T)(object)Copy(row, row.ETag), Mock.Of<Response>())
                    : new Absent<T>());
            }
        }

        public override AsyncPageable<T> QueryAsync<T>(string? filter = null, int? maxPerPage = null, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
        {
            // The one filter the budget sends: PartitionKey eq '<day>'.
            Interlocked.Increment(ref account.Requests);
            string partition = filter!.Split('\'')[1];
            lock (_gate)
            {
                var rows = _rows.Values.Where(row => row.PartitionKey == partition).Select(row => (T)(object)Copy(row, row.ETag)).ToList();
                return AsyncPageable<T>.FromPages([Page<T>.FromValues(rows, null, Mock.Of<Response>())]);
            }
        }

        public override async Task<Response<IReadOnlyList<Response>>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> transactionActions, CancellationToken cancellationToken = default)
        {
            if (account.Hold is { } hold)
            {
                account.Held.TrySetResult();
                await hold.Task.ConfigureAwait(false);
            }

            return Submit(transactionActions);
        }

        private Response<IReadOnlyList<Response>> Submit(IEnumerable<TableTransactionAction> transactionActions)
        {
            Interlocked.Increment(ref account.Requests);
            var actions = transactionActions.ToList();
            lock (_gate)
            {
                for (int i = 0; i < actions.Count; i++)
                {
                    var action = actions[i];
                    bool exists = _rows.TryGetValue((action.Entity.PartitionKey, action.Entity.RowKey), out var current);
                    (int status, string code)? failure = action.ActionType switch
                    {
                        TableTransactionActionType.Add when exists => (409, "EntityAlreadyExists"),
                        TableTransactionActionType.UpdateReplace when !exists => (404, "ResourceNotFound"),
                        TableTransactionActionType.UpdateReplace when action.ETag != ETag.All && current!.ETag != action.ETag => (412, "UpdateConditionNotSatisfied"),
                        TableTransactionActionType.Add or TableTransactionActionType.UpdateReplace => null,
                        _ => throw new NotSupportedException($"The fake table does not do {action.ActionType}."),
                    };
                    if (failure is { } failed)
                    {
                        throw new TableTransactionFailedException(new RequestFailedException(failed.status, $"{i}:{failed.code}", failed.code, null));
                    }
                }

                foreach (var action in actions)
                {
                    var etag = new ETag($"W/\"v{++_versions}\"");
                    _rows[(action.Entity.PartitionKey, action.Entity.RowKey)] = Copy(action.Entity, etag);
                }
            }

            return Response.FromValue<IReadOnlyList<Response>>(actions.Select(_ => Mock.Of<Response>()).ToList(), Mock.Of<Response>());
        }

        private static TableEntity Copy(ITableEntity entity, ETag etag)
        {
            var copy = new TableEntity((TableEntity)entity) { ETag = etag };
            copy.PartitionKey = entity.PartitionKey;
            copy.RowKey = entity.RowKey;
            return copy;
        }
    }

    private sealed class Absent<T> : NullableResponse<T>
    {
        public override bool HasValue => false;

        public override T? Value => default;

        public override Response GetRawResponse() => Mock.Of<Response>();
    }
}
