using PuppeteerSharp;
using VeoFunctions.Testing;

namespace VeoFunctions.RealHostTests.Infrastructure;

/// <summary>
/// The system's Chromium (Debian's <c>chromium</c> package), driven over the DevTools protocol: no browser is
/// downloaded. <c>VEO_CHROMIUM</c> names another executable. scripts/test installs the package in the background when it
/// is missing and names a file in <c>VEO_CHROMIUM_INSTALL</c> that says <c>done</c> when the install has ended: the
/// browser tests wait for it (bounded) instead of the whole run.
/// </summary>
public static class Chromium
{
    /// <summary>Bounds the wait for scripts/test's background install (apt-get update and install on a busy machine).</summary>
    public static readonly TimeSpan InstallPatience = TimeSpan.FromMinutes(6);

    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    /// <summary>The executable, or null (with why) when there is none.</summary>
    public static async Task<(string? Path, string Why)> FindAsync()
    {
        if (Environment.GetEnvironmentVariable("VEO_CHROMIUM_INSTALL") is { Length: > 0 } marker)
        {
            try
            {
                await Poll.UntilAsync(() => Task.FromResult(File.Exists(marker) && File.ReadAllText(marker).Contains("done", StringComparison.Ordinal)), InstallPatience, TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
                return (null, $"scripts/test's chromium install ({marker}) had not ended after {InstallPatience}.");
            }
        }

        string? path = Environment.GetEnvironmentVariable("VEO_CHROMIUM") is { Length: > 0 } named ? named : Candidates.FirstOrDefault(File.Exists);
        return path is not null && File.Exists(path)
            ? (path, string.Empty)
            : (null, "No Chromium on this machine (apt-get install chromium, or set VEO_CHROMIUM): the Studio's browser tests need one.");
    }

    public static Task<IBrowser> LaunchAsync(string path) => Puppeteer.LaunchAsync(new LaunchOptions
    {
        ExecutablePath = path,
        Headless = true,
        // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start. The autoplay flag lets a test's play()
        // start without a real user gesture.
        Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required", "--mute-audio"],
        Timeout = (int)TimeSpan.FromMinutes(2).TotalMilliseconds,
    });
}
