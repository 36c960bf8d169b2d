namespace Veo.Cli.Api;

/// <summary>A typed answer together with the JSON it was read from, which <c>--json</c> prints unchanged.</summary>
public sealed record ApiAnswer<T>(T Value, string Json);
