namespace VeoFunctions.Jobs;

/// <summary>The parser's verdict.</summary>
public sealed record ParseResult(VideoJobDraft? Draft, Errors? Errors)
{
    public static ParseResult Valid(VideoJobDraft draft) => new(draft, null);

    public static ParseResult Invalid(Errors errors) => new(null, errors);
}
