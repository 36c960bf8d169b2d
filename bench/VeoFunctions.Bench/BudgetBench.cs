using System.Diagnostics;
using VeoFunctions.IntegrationTests.Infrastructure;

namespace VeoFunctions.Bench;

/// <summary>
/// The daily budget under load, on Azurite: 200 reservations at once (room for all, so every one must write the day),
/// on one instance and on four; then a day of 5,000 jobs reserved and settled 200 at a time on two instances. Prints the
/// time, the rate and the storage requests and bytes per job, at the day's start and at its end.
/// </summary>
internal static class BudgetBench
{
    private const decimal JobUsd = 3.20m;

    public static async Task RunAsync(BenchAzurite bench)
    {
        foreach (int instances in new[] { 1, 4 })
        {
            var storage = new BudgetStorage(bench.Azurite, 200 * JobUsd);
            var day = new DateOnly(2026, 9, instances);
            var budgets = Enumerable.Range(0, instances).Select(_ => storage.Process()).ToList();
            await budgets[0].ReserveAsync(day, [("warm", 0m)], CancellationToken.None, holder: "warm"); // the table and the day's totals exist
            var (requests, clock) = (storage.Requests, Stopwatch.StartNew());
            var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() =>
                budgets[i % instances].ReserveAsync(day, [($"job{i}", JobUsd)], CancellationToken.None, holder: $"start{i}"))));
            clock.Stop();
            Console.WriteLine($"200 concurrent reservations, room for all, {instances} instance(s): {clock.Elapsed.TotalSeconds:0.00} s, {200 / clock.Elapsed.TotalSeconds:0} reservations/s, " +
                $"{(storage.Requests - requests) / 200.0:0.0} storage requests per start, {outcomes.Count(o => o.Reserved)} reserved");
        }

        const int Jobs = 5000, Wave = 200;
        var daily = new BudgetStorage(bench.Azurite, Jobs * JobUsd);
        var dayOf5000 = new DateOnly(2026, 9, 10);
        var pair = Enumerable.Range(0, 2).Select(_ => daily.Process()).ToList();
        var total = Stopwatch.StartNew();
        for (int first = 0; first < Jobs; first += Wave)
        {
            var (requests, bytes, clock) = (daily.Requests, daily.Bytes, Stopwatch.StartNew());
            await Task.WhenAll(Enumerable.Range(first, Wave).Select(i => Task.Run(async () =>
            {
                var budget = pair[i % 2];
                await budget.ReserveAsync(dayOf5000, [($"job{i}", JobUsd)], CancellationToken.None, holder: $"start{i}");
                await budget.SettleAsync(dayOf5000, $"job{i}", JobUsd, 3.10m, billed: true, CancellationToken.None);
            })));
            if (first == 0 || first + Wave >= Jobs)
            {
                Console.WriteLine($"5,000-job day, jobs {first + 1}-{first + Wave} (reserve + settle, {Wave} at once, 2 instances): {clock.Elapsed.TotalSeconds:0.00} s, " +
                    $"{(daily.Requests - requests) / (double)Wave:0.0} requests and {(daily.Bytes - bytes) / (double)Wave:0} bytes per job");
            }
        }

        total.Stop();
        var snapshot = await pair[0].ReadAsync(dayOf5000, CancellationToken.None);
        Console.WriteLine($"5,000-job day: {total.Elapsed.TotalSeconds:0.0} s, {Jobs / total.Elapsed.TotalSeconds:0} jobs/s reserved and settled, {daily.Requests / (double)Jobs:0.0} storage requests per job; " +
            $"the day shows {snapshot.Jobs} jobs, {snapshot.SpentUsd:0.00} USD spent, {snapshot.ReservedUsd:0.00} USD reserved");
    }
}
