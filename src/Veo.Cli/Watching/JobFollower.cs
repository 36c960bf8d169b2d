using Spectre.Console;
using Veo.Cli.Api;
using Veo.Cli.Downloads;
using Veo.Cli.Rendering;

namespace Veo.Cli.Watching;

/// <summary>
/// Follows a job to its end, for <c>veo watch</c> and <c>veo create --watch</c>: a live display on a terminal, a
/// line per change elsewhere, JSON lines under <c>--json</c>; then the outcome, and the video saved when asked.
/// </summary>
public sealed class JobFollower(CliContext cli, VeoApiClient api, bool json)
{
    private IAnsiConsole Human => json ? cli.Error : cli.Out;

    /// <returns>0 completed, 2 failed, 3 cancelled, 130 stopped watching (see <see cref="ExitCodes"/>).</returns>
    public async Task<int> FollowAsync(string jobId, string? outPath, TimeSpan interval, CancellationToken cancellationToken)
    {
        var poller = new JobPoller(api, cli.Time, interval, cli.MaxPollFailures);
        JobStatus status;
        try
        {
            status = json ? await AsJsonAsync(poller, jobId, cancellationToken).ConfigureAwait(false)
                : Terminal.IsLive(cli.Out) ? await LiveAsync(poller, jobId, cancellationToken).ConfigureAwait(false)
                : await AsLinesAsync(poller, jobId, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Human.MarkupLine($"Stopped watching; job {Markup.Escape(jobId)} goes on. Watch it again: [bold]veo watch {Markup.Escape(jobId)}[/]");
            return ExitCodes.Interrupted;
        }

        if (!json)
        {
            OutcomeView.Write(Human, status, willDownload: outPath is not null && status.Video is not null);
        }

        if (outPath is not null && status.Video is not null)
        {
            await SaveVideo.RunAsync(Human, api, status, Path.GetFullPath(outPath, cli.WorkingDirectory), cancellationToken).ConfigureAwait(false);
        }
        else if (outPath is not null)
        {
            Human.MarkupLine($"[grey]No video to save to {Markup.Escape(outPath)}.[/]");
        }

        return ExitCodes.ForEnd(status.Phase);
    }

    private async Task<JobStatus> LiveAsync(JobPoller poller, string jobId, CancellationToken cancellationToken)
    {
        JobStatus? last = null;
        await cli.Out.Live(JobView.Waiting(jobId)).StartAsync(async live =>
        {
            await foreach (var poll in poller.PollAsync(jobId, cancellationToken).ConfigureAwait(false))
            {
                last = poll.Answer?.Value ?? last;
                live.UpdateTarget(last is null ? JobView.Waiting(jobId) : JobView.Render(last, cli.Time.GetUtcNow(), poll.Trouble));
                live.Refresh();
            }
        }).ConfigureAwait(false);
        return last!;
    }

    private async Task<JobStatus> AsLinesAsync(JobPoller poller, string jobId, CancellationToken cancellationToken)
    {
        var log = new ProgressLog(cli.Out);
        JobStatus? last = null;
        await foreach (var poll in poller.PollAsync(jobId, cancellationToken).ConfigureAwait(false))
        {
            last = poll.Answer?.Value ?? last;
            log.Update(poll.Answer?.Value, poll.Trouble);
        }

        cli.Out.Write(JobView.Render(last!, cli.Time.GetUtcNow()));
        return last!;
    }

    private async Task<JobStatus> AsJsonAsync(JobPoller poller, string jobId, CancellationToken cancellationToken)
    {
        ApiAnswer<JobStatus>? last = null;
        await foreach (var poll in poller.PollAsync(jobId, cancellationToken).ConfigureAwait(false))
        {
            if (poll.Answer is { } answer && answer.Json != last?.Json)
            {
                Messages.Json(cli.Out, answer.Json);
                last = answer;
            }
            else if (poll.Trouble is { } trouble)
            {
                Messages.Error(cli.Error, trouble);
            }
        }

        return last!.Value;
    }
}
