using Xunit.Abstractions;
using Xunit.Sdk;

namespace VeoFunctions.RealHostTests.Infrastructure;

/// <summary>
/// One app in a real host, shared by the tests of <see cref="RealHostCollection"/> that need nothing special of it:
/// they run one after another, each on its own jobs. Null <see cref="App"/> when no host exists on the machine.
/// </summary>
public sealed class RealHostFixture(IMessageSink sink) : IAsyncLifetime
{
    public RealHostApp? App { get; private set; }

    public async Task InitializeAsync()
    {
        if (HostLauncher.Current is not { } launcher)
        {
            sink.OnMessage(new DiagnosticMessage("RealHost tier: " + HostLauncher.NoneFound));
            return;
        }

        App = await RealHostApp.StartAsync(launcher);
        sink.OnMessage(new DiagnosticMessage($"RealHost tier runs in {launcher.Description}"));
    }

    /// <summary>The shared app, or the test is skipped saying why there is none.</summary>
    public RealHostApp Require()
    {
        Skip.If(App is null, HostLauncher.NoneFound);
        return App!;
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RealHostCollection : ICollectionFixture<RealHostFixture>
{
    public const string Name = "RealHost";
}

/// <summary>A test that needs an app of its own (a deploy, a quickstart): the launcher, or skipped saying why there is none.</summary>
public static class RealHost
{
    public static HostLauncher Require()
    {
        Skip.If(HostLauncher.Current is null, HostLauncher.NoneFound);
        return HostLauncher.Current!;
    }
}
