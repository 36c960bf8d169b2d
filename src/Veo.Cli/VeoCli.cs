using Spectre.Console.Cli;
using Veo.Cli.Api;
using Veo.Cli.Commands;
using Veo.Cli.Rendering;

namespace Veo.Cli;

/// <summary>
/// The <c>veo</c> command line: its commands, and the one place an exception becomes a one-line message and an exit
/// code (<see cref="ExitCodes"/>). Tests call <see cref="RunAsync"/> in process with their own <see cref="CliContext"/>.
/// </summary>
public static class VeoCli
{
    public static Task<int> RunAsync(IReadOnlyList<string> args, CliContext cli, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cli);
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("veo");
            config.ConfigureConsole(cli.Out);
            config.Settings.Registrar.RegisterInstance(cli);
            config.Settings.CancellationExitCode = ExitCodes.Interrupted;
            // An option veo does not know is an error, not ignored: a typo such as --resolutoin would start (and bill) a
            // job other than the one asked for.
            config.Settings.StrictParsing = true;
            config.SetExceptionHandler((exception, _) => Report(cli, exception));

            config.AddCommand<CreateCommand>("create")
                .WithExample("create", "--prompt", "\"A fox runs through snow\"", "--image", "fox.png", "--watch", "--out", "fox.mp4")
                .WithExample("create", "-p", "\"A chimp plays\"", "-i", "https://example.com/chimp.png", "--resolution", "1080p", "--aspect", "9:16");
            config.AddCommand<WatchCommand>("watch").WithExample("watch", "k3f9…", "--out", "clip.mp4");
            config.AddCommand<StatusCommand>("status").WithExample("status", "k3f9…", "--json");
            config.AddCommand<ListCommand>("list").WithExample("list", "--phase", "failed", "--all");
            config.AddCommand<DownloadCommand>("download").WithExample("download", "k3f9…", "--out", "clip.mp4");
            config.AddCommand<CancelCommand>("cancel").WithExample("cancel", "k3f9…");
            config.AddCommand<ResumeCommand>("resume").WithExample("resume", "k3f9…");
            config.AddBranch("manifest", manifest =>
            {
                manifest.SetDescription("Manifests of the jobs container.");
                manifest.AddCommand<ManifestRunCommand>("run").WithExample("manifest", "run", "nightly/shots.json").WithExample("manifest", "run", "nightly/shots.json", "--failed");
            });
        });
        return app.RunAsync(args, cancellationToken);
    }

    private static int Report(CliContext cli, Exception exception)
    {
        (int code, string message) = exception switch
        {
            VeoApiException api => (ExitCodes.For(api.Failure), api.Message),
            UsageException usage => (ExitCodes.Usage, usage.Message),
            CommandAppException parse => (ExitCodes.Usage, parse.Message + " (veo --help lists the commands and options)"),
            OperationCanceledException => (ExitCodes.Interrupted, "Interrupted."),
            _ => (ExitCodes.Internal, $"Unexpected {exception.GetType().Name}: {exception.Message}"),
        };
        Messages.Error(cli.Error, message);
        return code;
    }
}
