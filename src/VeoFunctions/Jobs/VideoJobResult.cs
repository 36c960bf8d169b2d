namespace VeoFunctions.Jobs;

/// <summary>The orchestration's output.</summary>
public sealed record VideoJobResult(string FalRequestId, ArchivedVideo Video);
