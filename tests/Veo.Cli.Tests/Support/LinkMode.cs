namespace Veo.Cli.Tests.Support;

/// <summary>Whether the status's <c>downloadUrl</c> works, has expired, or is absent (only <c>/video</c> then).</summary>
internal enum LinkMode
{
    Fresh,
    Expired,
    None,
}
