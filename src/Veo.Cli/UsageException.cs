namespace Veo.Cli;

/// <summary>The command line itself is wrong (a missing file, an image that is not one): exit code 1, nothing sent.</summary>
public sealed class UsageException(string message) : Exception(message);
