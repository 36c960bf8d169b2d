using Veo.Cli.Api;

namespace Veo.Cli.Rendering;

/// <summary>The colour each phase is shown in, the same in every view.</summary>
internal static class Phases
{
    public static string Style(string phase) => phase switch
    {
        JobPhases.Completed => "green",
        JobPhases.Failed => "red",
        JobPhases.Cancelled => "yellow",
        _ => "deepskyblue1",
    };

    /// <summary>The phase as markup, with the queue position while fal holds the job in its queue.</summary>
    public static string Markup(JobStatus status) =>
        $"[{Style(status.Phase)}]{Spectre.Console.Markup.Escape(status.Phase)}[/]"
        + (status is { Phase: JobPhases.Queued, QueuePosition: { } position } ? $" · position {position} in fal's queue" : string.Empty);
}
