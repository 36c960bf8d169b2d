using System.Net;

namespace Veo.Cli.Api;

/// <summary>A call to the app that did not succeed, with a one-line message meant for the user.</summary>
public sealed class VeoApiException(ApiFailure failure, string message, HttpStatusCode? status = null, Problem? problem = null, Exception? inner = null)
    : Exception(message, inner)
{
    public ApiFailure Failure { get; } = failure;

    public HttpStatusCode? Status { get; } = status;

    /// <summary>The app's problem details, when it sent any.</summary>
    public Problem? Problem { get; } = problem;
}
