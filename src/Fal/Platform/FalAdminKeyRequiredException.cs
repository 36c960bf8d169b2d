namespace Fal.Platform;

/// <summary>
/// A Platform API call that needs an ADMIN-scope key was made while <see cref="FalOptions.AdminKey"/> is unset. Thrown
/// before anything is sent: it is a fact of configuration, not fal's answer. Where the call is optional, ask
/// <see cref="FalPlatformClient.HasAdminKey"/> first.
/// </summary>
public sealed class FalAdminKeyRequiredException : InvalidOperationException
{
    public FalAdminKeyRequiredException(string operation)
        : base($"{operation} needs a fal ADMIN-scope key; set {FalOptions.SectionName}:{nameof(FalOptions.AdminKey)}.") => Operation = operation;

    /// <summary>The call that needed the key.</summary>
    public string Operation { get; }
}
