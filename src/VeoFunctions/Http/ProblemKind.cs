namespace VeoFunctions.Http;

/// <summary>
/// Every kind of problem the app answers with, and nothing else: <see cref="Problems"/> takes only these, so a test can
/// hold the list against the OpenAPI document and docs/api.md, where each kind has an anchor of its own name.
/// </summary>
/// <remarks>
/// The type is an identifier to match on, not a page: nothing is served at veofunctions.dev. It never changes once
/// released, because callers (veo among them) match on it.
/// </remarks>
public sealed class ProblemKind
{
    private const string TypeBase = "https://veofunctions.dev/problems/";

    private ProblemKind(string name) => Name = name;

    public static ProblemKind InvalidRequest { get; } = new("invalid-request");

    public static ProblemKind IncompleteBody { get; } = new("incomplete-body");

    public static ProblemKind BodyTimeout { get; } = new("body-timeout");

    public static ProblemKind TooLarge { get; } = new("too-large");

    public static ProblemKind UnsupportedMediaType { get; } = new("unsupported-media-type");

    public static ProblemKind NotFound { get; } = new("not-found");

    public static ProblemKind Conflict { get; } = new("conflict");

    public static ProblemKind Unauthorized { get; } = new("unauthorized");

    public static ProblemKind OverBudget { get; } = new("over-budget");

    public static ProblemKind BudgetBusy { get; } = new("budget-busy");

    public static ProblemKind IdempotencyKeyReused { get; } = new("idempotency-key-reused");

    public static ProblemKind IdempotencyKeyInProgress { get; } = new("idempotency-key-in-progress");

    public static ProblemKind LinkUnavailable { get; } = new("link-unavailable");

    public static ProblemKind ManifestIncomplete { get; } = new("manifest-incomplete");

    /// <summary>The kind's name, also its anchor in docs/api.md.</summary>
    public string Name { get; }

    /// <summary>The problem document's <c>type</c>.</summary>
    public string Type => TypeBase + Name;

    public override string ToString() => Type;
}
