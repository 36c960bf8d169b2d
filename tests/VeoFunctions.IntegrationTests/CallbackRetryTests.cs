using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VeoFunctions.Callbacks;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;
using VeoFunctions.Jobs.Activities;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// The contract the job's end stage relies on, on the real Durable Task engine: a receiver that fails is tried again
/// by the durable retry policy with the same <c>webhook-id</c> and a signature that verifies every time; a receiver
/// that refuses is asked once.
/// </summary>
public sealed class CallbackRetryTests : IAsyncLifetime
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private CallbackReceiver _receiver = null!;
    private DurableTaskTestHost _durable = null!;

    public async Task InitializeAsync()
    {
        _receiver = await CallbackReceiver.StartAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Callbacks:SigningSecret"] = Secret,
            ["Images:AllowHttp"] = "true",
            ["Images:AllowedPrivateHosts:0"] = "127.0.0.1",
            ["Storage:ConnectionString"] = "UseDevelopmentStorage=true", // the activity links a video it sends (none here)
        }).Build();
        _durable = await DurableTaskTestHost.StartAsync(
            tasks => tasks.AddOrchestrator<CallbackWithRetries>().AddActivity<DeliverCallback>(),
            new DurableTaskTestHostOptions
            {
                Port = LoopbackPorts.Free(),
                ConfigureServices = services => services.AddSingleton<IConfiguration>(configuration).AddSingleton(TimeProvider.System).AddJobStorage().AddCallbacks(),
            });
    }

    public async Task DisposeAsync()
    {
        await _durable.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private async Task<OrchestrationMetadata> RunAsync(string path)
    {
        var status = new JobStatus("job-1", "completed", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "req-1", null, null, null);
        string id = await _durable.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(CallbackWithRetries), new CallbackDelivery("job-1", _receiver.Url(path), "job-1/completed", status));
        using var timeout = new CancellationTokenSource(Patience.Job);
        return await _durable.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
    }

    [Fact]
    public async Task AFailingReceiver_IsTriedAgain_WithTheSameEventId_UntilItTakesTheCallback()
    {
        _receiver.Answer(503, 500, 204);

        var done = await RunAsync("/hook");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(new CallbackOutcome(true, 204, null), done.ReadOutputAs<CallbackOutcome>());
        var attempts = _receiver.Received;
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, attempt =>
        {
            Assert.Equal("job-1/completed", attempt.Header("webhook-id"));
            Assert.Null(StandardWebhooksSpec.Problem(Secret, attempt.Header("webhook-id"), attempt.Header("webhook-timestamp"), attempt.Header("webhook-signature"), attempt.Body, DateTimeOffset.UtcNow));
        });
    }

    [Fact]
    public async Task AReceiverThatKeepsFailing_FailsTheActivityAfterTheRetries_WithTheLastReason()
    {
        _receiver.Answer(503);

        var done = await RunAsync("/hook");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(CallbackWithRetries.Attempts, _receiver.Received.Count);
        var outcome = done.ReadOutputAs<CallbackOutcome>()!;
        Assert.False(outcome.Delivered);
        Assert.Contains("the receiver answered 503 Service Unavailable", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReceiverThatRefuses_IsAskedOnce()
    {
        var done = await RunAsync("/status/410");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var outcome = done.ReadOutputAs<CallbackOutcome>()!;
        Assert.False(outcome.Delivered);
        Assert.Equal(410, outcome.StatusCode);
        Assert.Single(_receiver.Received);
    }

    /// <summary>A stand-in for the job's end stage: the activity under a durable retry policy, its failure kept as an outcome.</summary>
    private sealed class CallbackWithRetries : TaskOrchestrator<CallbackDelivery, CallbackOutcome>
    {
        public const int Attempts = 4;

        public override async Task<CallbackOutcome> RunAsync(TaskOrchestrationContext context, CallbackDelivery input)
        {
            var retry = TaskOptions.FromRetryPolicy(new RetryPolicy(Attempts, TimeSpan.FromMilliseconds(100), backoffCoefficient: 2));
            try
            {
                return await context.CallActivityAsync<CallbackOutcome>(nameof(DeliverCallback), input, retry);
            }
            catch (TaskFailedException failed)
            {
                return new CallbackOutcome(false, null, failed.FailureDetails.ErrorMessage);
            }
        }
    }
}
