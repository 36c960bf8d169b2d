using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;
using Veo.Cli.Api;

namespace Veo.Cli.Rendering;

/// <summary><c>veo list</c>: one row per job, newest first, as the app sends them.</summary>
public static class JobTable
{
    public static IRenderable Render(IEnumerable<JobStatus> jobs, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var table = new Table().RoundedBorder().BorderColor(Color.Grey)
            .AddColumn(new TableColumn("job").NoWrap()).AddColumn(new TableColumn("phase").NoWrap()).AddColumn(new TableColumn("created (UTC)").NoWrap())
            .AddColumn(new TableColumn("took").RightAligned().NoWrap()).AddColumn("video or reason");
        foreach (var job in jobs)
        {
            string outcome = job.Video is { } video ? Readable.Bytes(video.Bytes) : job.Error ?? job.LastError ?? string.Empty;
            table.AddRow(
                new Text(job.JobId),
                new Markup(Phases.Markup(job)),
                new Text(job.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
                new Text(Readable.Duration(JobTimes.Elapsed(job, now))),
                new Text(outcome));
        }

        return table;
    }
}
