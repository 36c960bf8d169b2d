using FalEmulator;

// Standalone fal emulator: dotnet run --project tests/FalEmulator -- --urls http://127.0.0.1:9500
// Options can be set from configuration, e.g. --Emulator:QueueTime=00:00:01 --Emulator:VideoPaddingBytes=200000000
var builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:9500");
}

var options = new EmulatorOptions();
builder.Configuration.GetSection("Emulator").Bind(options);
using var state = new EmulatorState(options);
EmulatorApp.ConfigureServices(builder, state);
var app = builder.Build();
EmulatorApp.MapRoutes(app);
app.Lifetime.ApplicationStarted.Register(() =>
{
    foreach (var url in app.Urls)
    {
        Console.WriteLine($"fal emulator origin: {url}  (queue + rest base URL)");
        Console.WriteLine($"JWKS: {url}/.well-known/jwks.json");
        Console.WriteLine($"control API: {url}{ControlEndpoints.Prefix}");
    }
});
await app.RunAsync();
