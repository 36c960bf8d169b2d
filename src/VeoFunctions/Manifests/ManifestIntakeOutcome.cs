namespace VeoFunctions.Manifests;

/// <summary>What the manifest door did with a blob.</summary>
public enum ManifestIntakeOutcome
{
    /// <summary>Not a manifest (another container, not <c>.json</c>, one of the app's own files) or gone already.</summary>
    Ignored,

    /// <summary>Invalid: its error file lists every problem, and nothing was started or spent.</summary>
    Rejected,

    /// <summary>Its jobs are started (or were already, for a redelivered event), and its result file written.</summary>
    Started,
}
