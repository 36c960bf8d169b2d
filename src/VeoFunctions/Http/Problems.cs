using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace VeoFunctions.Http;

/// <summary>Every HTTP error this app answers, as RFC 7807 problem details, built here and nowhere else.</summary>
public static class Problems
{
    private const string TypeBase = "https://veofunctions.dev/problems/";

    /// <summary>400 listing what to fix: at most <see cref="Jobs.Errors.MaxListed"/> problems, and how many more there were (<c>unlistedErrors</c>).</summary>
    public static ObjectResult Validation(Jobs.Errors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var problem = new ValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()))
        {
            Type = TypeBase + "invalid-request",
            Title = "The request is not valid.",
            Status = StatusCodes.Status400BadRequest,
            Detail = "See errors for what to fix; nothing was started and nothing was sent to fal."
                + (errors.Unlisted > 0 ? " " + Jobs.Errors.UnlistedReason(errors.Unlisted) : ""),
        };
        if (errors.Unlisted > 0)
        {
            problem.Extensions["unlistedErrors"] = errors.Unlisted;
        }

        return Result(problem);
    }

    public static ObjectResult BadRequest(string detail) => Problem(StatusCodes.Status400BadRequest, "invalid-request", "The request is not valid.", detail);

    public static ObjectResult TooLarge(int limit) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "too-large", "The request body is too large.", $"At most {limit} bytes are accepted.");

    /// <summary>The answer to a body <see cref="RequestBody"/> could not take: 413, 408 or 400.</summary>
    public static ObjectResult BodyNotRead(BodyFailure failure, int limit, TimeSpan? deadline = null) => failure switch
    {
        BodyFailure.TooLarge => TooLarge(limit),
        BodyFailure.TimedOut => Problem(StatusCodes.Status408RequestTimeout, "body-timeout", "The request body did not arrive in time.",
            deadline is { } d ? $"The whole body must arrive within {d.TotalSeconds:0} seconds." : "The body arrived too slowly."),
        _ => Problem(StatusCodes.Status400BadRequest, "incomplete-body", "The request body is incomplete.", "The body ended before it was complete or could not be read."),
    };

    public static ObjectResult UnsupportedMediaType() =>
        Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "The body must be JSON.", "Send Content-Type: application/json.");

    public static ObjectResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "not-found", "Not found.", detail);

    public static ObjectResult Conflict(string detail) => Problem(StatusCodes.Status409Conflict, "conflict", "Conflict.", detail);

    public static ObjectResult Unauthorized(string detail) => Problem(StatusCodes.Status401Unauthorized, "unauthorized", "The request is not authenticated.", detail);

    /// <summary>A <c>503</c> that says when to try again (<c>Retry-After</c>, whole seconds).</summary>
    public static ObjectResult Unavailable(string type, string title, string detail, TimeSpan retryAfter) =>
        RetryLater(StatusCodes.Status503ServiceUnavailable, type, title, detail, retryAfter);

    /// <summary>The problem type of <see cref="IdempotencyKeyReused"/>.</summary>
    public const string IdempotencyKeyReusedType = TypeBase + "idempotency-key-reused";

    /// <summary>The problem type of <see cref="IdempotencyKeyInProgress"/>.</summary>
    public const string IdempotencyKeyInProgressType = TypeBase + "idempotency-key-in-progress";

    /// <summary>
    /// 422, as draft-ietf-httpapi-idempotency-key-header says: the key was used before for a different request (another
    /// body). Not a conflict with the job's state: the request itself is unfit to be processed under that key.
    /// </summary>
    public static ObjectResult IdempotencyKeyReused() =>
        Result(new ProblemDetails
        {
            Type = IdempotencyKeyReusedType,
            Title = "The Idempotency-Key was already used for a different request.",
            Status = StatusCodes.Status422UnprocessableEntity,
            Detail = "This Idempotency-Key was already used for a different request; nothing new was started. Use a new key for a new request.",
        });

    /// <summary>
    /// 409, as the draft says, with <c>Retry-After</c>: the first request with this key is still being processed (starting
    /// the job); the same request sent again shortly gets that job.
    /// </summary>
    public static ObjectResult IdempotencyKeyInProgress(TimeSpan retryAfter) =>
        RetryLater(StatusCodes.Status409Conflict, "idempotency-key-in-progress", "A request with this Idempotency-Key is still being processed.",
            "A request with this Idempotency-Key is still starting the job; send the same request again shortly.", retryAfter);

    private static RetryLaterResult RetryLater(int status, string type, string title, string detail, TimeSpan retryAfter) =>
        new(new ProblemDetails { Type = TypeBase + type, Title = title, Status = status, Detail = detail }, retryAfter)
        {
            StatusCode = status,
            ContentTypes = { "application/problem+json" },
        };

    /// <summary>
    /// 402: the day's budget has no room for the job. Not 429, which clients (ours included) retry within seconds when
    /// nothing can change before the budget renews, nor 409, which speaks of the resource's state: the refusal is about
    /// spending, which is what 402 names.
    /// </summary>
    public static ObjectResult OverBudget(Money.BudgetSnapshot budget, decimal neededUsd)
    {
        ArgumentNullException.ThrowIfNull(budget);
        var problem = new ProblemDetails
        {
            Type = TypeBase + "over-budget",
            Title = "The daily budget has no room for this job.",
            Status = StatusCodes.Status402PaymentRequired,
            Detail = budget.Refusal(neededUsd),
        };
        problem.Extensions["estimatedUsd"] = neededUsd;
        problem.Extensions["budgetUsd"] = budget.BudgetUsd;
        problem.Extensions["remainingUsd"] = budget.RemainingUsd;
        problem.Extensions["day"] = budget.Day;
        problem.Extensions["resetsAt"] = budget.ResetsAt;
        return new RetryLaterResult(problem, TimeSpan.FromSeconds(budget.SecondsToReset))
        {
            StatusCode = StatusCodes.Status402PaymentRequired,
            ContentTypes = { "application/problem+json" },
        };
    }

    public static ObjectResult Problem(int status, string type, string title, string detail) =>
        Result(new ProblemDetails { Type = TypeBase + type, Title = title, Status = status, Detail = detail });

    private static ObjectResult Result(ProblemDetails problem) => new(problem)
    {
        StatusCode = problem.Status,
        ContentTypes = { "application/problem+json" },
    };

    /// <summary>A problem whose answer carries <c>Retry-After</c>.</summary>
    public sealed class RetryLaterResult(ProblemDetails problem, TimeSpan retryAfter) : ObjectResult(problem)
    {
        public TimeSpan RetryAfter { get; } = retryAfter;

        public override void OnFormatting(ActionContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            base.OnFormatting(context);
            context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
    }
}
