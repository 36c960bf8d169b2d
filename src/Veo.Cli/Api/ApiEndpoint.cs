namespace Veo.Cli.Api;

/// <summary>Which app to talk to and the function key it wants (none for a local Core Tools run).</summary>
public sealed record ApiEndpoint
{
    public ApiEndpoint(Uri appUrl, string? functionKey)
    {
        ArgumentNullException.ThrowIfNull(appUrl);
        // Relative paths resolve under the app's path only when it ends with a slash.
        AppUrl = appUrl.AbsoluteUri.EndsWith('/') ? appUrl : new Uri(appUrl.AbsoluteUri + "/");
        FunctionKey = string.IsNullOrEmpty(functionKey) ? null : functionKey;
    }

    public Uri AppUrl { get; }

    public string? FunctionKey { get; }

    /// <summary>A URL of the app's API, <paramref name="path"/> being relative to <c>/api/</c>.</summary>
    public Uri Api(string path) => new(AppUrl, "api/" + path);

    /// <summary>True when <paramref name="url"/> is on the app's own origin, the only place the key may go.</summary>
    public bool IsSameOrigin(Uri url) =>
        Uri.Compare(url, AppUrl, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0;
}
