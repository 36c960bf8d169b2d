using Veo.Cli;

// The first Ctrl-C stops veo politely (a watch says the job goes on); a second one ends it at once.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !interrupt.IsCancellationRequested;
    interrupt.Cancel();
};

return await VeoCli.RunAsync(args, CliContext.ForTerminal(), interrupt.Token);
