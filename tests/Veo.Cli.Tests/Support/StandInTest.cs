namespace Veo.Cli.Tests.Support;

/// <summary>A test class with a fresh stand-in API and a folder of its own for every test.</summary>
public abstract class StandInTest : IAsyncLifetime, IDisposable
{
    internal FakeVeoApi Api { get; private set; } = null!;

    internal TempFolder Folder { get; } = new();

    public async Task InitializeAsync() => Api = await FakeVeoApi.StartAsync();

    public async Task DisposeAsync() => await Api.DisposeAsync();

    public void Dispose()
    {
        Folder.Dispose();
        GC.SuppressFinalize(this);
    }
}
