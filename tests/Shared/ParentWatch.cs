using System.Diagnostics;
using System.Globalization;

namespace VeoFunctions.Testing;

/// <summary>
/// Ends this helper process when the test process that started it is gone (its id in HELPER_PARENT_PID), so a
/// test run that is itself killed leaves no helper process behind.
/// </summary>
public static class ParentWatch
{
    public static void Start()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("HELPER_PARENT_PID"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int parent))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            while (true)
            {
                await Task.Delay(1000).ConfigureAwait(false);
                try
                {
                    using var process = Process.GetProcessById(parent);
                    if (process.HasExited)
                    {
                        Environment.Exit(3);
                    }
                }
                catch (ArgumentException)
                {
                    Environment.Exit(3);
                }
            }
        });
    }
}
