namespace Veo.Cli.Tests.Support;

/// <summary>A request the stand-in API received, as the assertions need it.</summary>
internal sealed record SeenRequest(string Method, string PathAndQuery, int Port, string? FunctionKey, string? IdempotencyKey, byte[] Body);
