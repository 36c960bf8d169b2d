using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using VeoFunctions.Callbacks;
using VeoFunctions.Jobs.Activities;
using VeoFunctions.Testing;

namespace VeoFunctions.Tests.Callbacks;

/// <summary>The activity and the sender as the app registers them.</summary>
public sealed class DeliverCallbackTests : IAsyncLifetime
{
    private CallbackReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await CallbackReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private static ServiceProvider App(bool allowLoopback)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Callbacks:SigningSecret"] = CallbackTestData.Secret,
            ["Images:AllowHttp"] = "true",
            ["Storage:ConnectionString"] = "UseDevelopmentStorage=true", // for the video's download link (none here: no video)
        };
        if (allowLoopback)
        {
            settings["Images:AllowedPrivateHosts:0"] = "127.0.0.1";
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddSingleton(TimeProvider.System).AddJobStorage().AddCallbacks().BuildServiceProvider();
    }

    private static Task<CallbackOutcome> Run(IServiceProvider app, CallbackDelivery delivery) =>
        ActivatorUtilities.CreateInstance<DeliverCallback>(app).RunAsync(Mock.Of<TaskActivityContext>(), delivery);

    [Fact]
    public async Task TheRegisteredActivity_DeliversASignedCallback()
    {
        using var app = App(allowLoopback: true);

        var outcome = await Run(app, new CallbackDelivery("job-1", _receiver.Url("/hook"), "job-1/completed", CallbackTestData.Status()));

        Assert.True(outcome.Delivered);
        var callback = Assert.Single(_receiver.Received);
        Assert.Equal("job-1/completed", callback.Header("webhook-id"));
        Assert.Null(StandardWebhooksSpec.Problem(
            CallbackTestData.Secret, callback.Header("webhook-id"), callback.Header("webhook-timestamp"), callback.Header("webhook-signature"), callback.Body, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task TheRegisteredClient_ObeysTheImagesNetworkRules()
    {
        using var app = App(allowLoopback: false);

        var outcome = await Run(app, new CallbackDelivery("job-1", _receiver.Url("/hook"), "job-1/completed", CallbackTestData.Status()));

        Assert.False(outcome.Delivered);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task TheRegisteredClient_DoesNotFollowRedirects()
    {
        using var app = App(allowLoopback: true);

        var outcome = await Run(app, new CallbackDelivery("job-1", _receiver.Url("/redirect/307"), "job-1/completed", CallbackTestData.Status()));

        Assert.Equal(307, outcome.StatusCode);
        Assert.Single(_receiver.Received);
    }

    [Fact]
    public async Task AReceiverFailure_SurfacesAsAnException_ForTheDurableRetry()
    {
        using var app = App(allowLoopback: true);

        await Assert.ThrowsAsync<CallbackDeliveryException>(() => Run(app, new CallbackDelivery("job-1", _receiver.Url("/status/503"), "e", CallbackTestData.Status())));
    }

    [Fact]
    public void TheInputAndOutput_SurviveTheDurableDataConverter()
    {
        var delivery = new CallbackDelivery("job-1", new Uri("https://hooks.example.com/veo?token=t"), "job-1/completed", CallbackTestData.Status());
        var converter = JsonDataConverter.Default;

        var input = converter.Deserialize<CallbackDelivery>(converter.Serialize(delivery));
        var output = converter.Deserialize<CallbackOutcome>(converter.Serialize(new CallbackOutcome(false, 410, "gone")));

        Assert.Equal(delivery with { Status = input!.Status }, input);
        Assert.Equal(converter.Serialize(delivery.Status), converter.Serialize(input.Status));
        Assert.Equal(delivery.Status.Timeline, input.Status.Timeline);
        Assert.Equal(new CallbackOutcome(false, 410, "gone"), output);
    }
}
