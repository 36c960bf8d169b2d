namespace Fal.Queue;

/// <summary>
/// A fal endpoint id (<c>owner/alias[/path]</c>, optionally behind a <c>workflows</c> or <c>comfy</c>
/// namespace) and the queue URLs built from it. Status, result and cancel drop the path segment:
/// building them with it is fal's classic 404.
/// </summary>
public sealed record FalEndpoint
{
    private static readonly string[] Namespaces = ["workflows", "comfy"];

    private FalEndpoint(string id, string? ns, string owner, string alias, string? path)
    {
        Id = id;
        Namespace = ns;
        Owner = owner;
        Alias = alias;
        Path = path;
    }

    public string Id { get; }

    public string? Namespace { get; }

    public string Owner { get; }

    public string Alias { get; }

    public string? Path { get; }

    public static FalEndpoint Parse(string endpointId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpointId);
        var parts = endpointId.Trim('/').Split('/');
        string? ns = null;
        if (parts.Length > 0 && Namespaces.Contains(parts[0]))
        {
            ns = parts[0];
            parts = parts[1..];
        }

        if (parts.Length < 2 || parts.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException($"'{endpointId}' is not a fal endpoint id (owner/alias[/path]).", nameof(endpointId));
        }

        return new FalEndpoint(endpointId, ns, parts[0], parts[1], parts.Length > 2 ? string.Join('/', parts[2..]) : null);
    }

    private string AppRoot => Namespace is null ? $"{Owner}/{Alias}" : $"{Namespace}/{Owner}/{Alias}";

    /// <summary>POST target for a new request (keeps the path).</summary>
    public Uri SubmitUrl(Uri queueBase) => Combine(queueBase, Id.Trim('/'));

    public Uri StatusUrl(Uri queueBase, string requestId) => Combine(queueBase, $"{AppRoot}/requests/{Uri.EscapeDataString(requestId)}/status");

    public Uri ResponseUrl(Uri queueBase, string requestId) => Combine(queueBase, $"{AppRoot}/requests/{Uri.EscapeDataString(requestId)}");

    public Uri CancelUrl(Uri queueBase, string requestId) => Combine(queueBase, $"{AppRoot}/requests/{Uri.EscapeDataString(requestId)}/cancel");

    private static Uri Combine(Uri root, string relative) => new($"{root.AbsoluteUri.TrimEnd('/')}/{relative}");
}
