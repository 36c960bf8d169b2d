using System.Diagnostics;
using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Crash;

namespace VeoFunctions.Bench;

/// <summary>
/// Section 2 again, on the production durable backend: DurableTask.AzureStorage over Azurite, in the crash tests'
/// sidecar process (tests/DurableSidecar), the app's tasks in their worker process (tests/VeoWorker), the app's HTTP
/// functions (webhook included) and the fal emulator in this process — CrashRig, unchanged. Same measurement as
/// <see cref="OverheadBench"/>: from the emulator's timestamp of the successful webhook attempt to (1) the manifest's
/// archivedAt (stamped in the worker process) and (2) the orchestration's LastUpdatedAt (written by the sidecar).
/// Three processes, one machine clock (UTC wall clock).
/// The sidecar's queue polling interval comes from the environment this process passes on (Sidecar__PollingInterval).
/// </summary>
internal static class OverheadAzureStorageBench
{
    public static async Task RunAsync(BenchAzurite azurite, int jobs, TimeSpan gap, TimeSpan generation, string label)
    {
        string polling = Environment.GetEnvironmentVariable("Sidecar__PollingInterval") ?? "(sidecar default, 00:00:00.500)";
        var output = new BufferedOutput();
        var emulator = new EmulatorOptions { QueueTime = TimeSpan.Zero, GenerationTime = generation };
        CrashRig? rig = null;
        try
        {
            rig = await CrashRig.StartAsync(azurite.Azurite, output, emulator, (_, values) =>
            {
                // No status polling during the measurement: the webhook is the only way the job learns it is done.
                values["Jobs:FirstStatusCheck"] = "00:10:00";
                values["Jobs:MaxStatusCheckInterval"] = "00:10:00";
            });

            // Warm-up (JIT in all three processes, task hub partition lease, containers, JWKS), not measured.
            await rig.WaitForJobAsync(await rig.StartJobAsync(Jobs.Body(1)), TimeSpan.FromMinutes(2));
            rig.Fal.State.Reset();

            var clock = Stopwatch.StartNew();
            var running = new List<Task<(string Id, OrchestrationMetadata Done)>>();
            for (int i = 0; i < jobs; i++)
            {
                running.Add(StartAndWaitAsync(rig));
                await Task.Delay(gap);
            }

            var finished = await Task.WhenAll(running);
            var elapsed = clock.Elapsed;
            var (toCommit, toComplete, failed, retried) = await OverheadBench.MeasureAsync(finished, rig.Fal, rig.Videos);
            OverheadBench.PrintTable(
                $"2. Pipeline overhead — {label}: {jobs} jobs, one started every {gap.TotalMilliseconds:0} ms, generation {generation.TotalSeconds:0.0} s ({elapsed.TotalSeconds:0.0} s)",
                toCommit, toComplete);
            Console.WriteLine($"""

                Engine: DurableTask.AzureStorage (AzureStorageOrchestrationService) on Azurite, in the tests/DurableSidecar process:
                1 partition, MaxQueuePollingInterval = {polling}, default concurrency (100 orchestrations, 10 activities);
                the app's tasks in a tests/VeoWorker process (one gRPC work-item stream). Jobs not Completed: {failed};
                webhooks needing more than one attempt: {retried}; status calls at fal: {rig.Fal.State.GetCount(RequestKind.Status)}.
                Goal: p50 <= 1 s (webhook -> blob committed).
                """);
        }
        catch
        {
            Console.WriteLine("--- rig output (last 100 lines) ---");
            if (rig is not null)
            {
                await rig.DisposeAsync();
                rig = null;
            }

            foreach (string line in output.Lines.TakeLast(100))
            {
                Console.WriteLine(line);
            }

            throw;
        }
        finally
        {
            if (rig is not null)
            {
                await rig.DisposeAsync();
            }
        }
    }

    private static async Task<(string, OrchestrationMetadata)> StartAndWaitAsync(CrashRig rig)
    {
        string id = await rig.StartJobAsync(Jobs.Body(1));
        return (id, await rig.WaitForJobAsync(id, TimeSpan.FromMinutes(5)));
    }
}
