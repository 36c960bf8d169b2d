using System.Text.RegularExpressions;

namespace VeoFunctions.Tests.Deployment;

/// <summary>What the app's managed identity may do on the storage account, as infra/modules/roles.bicep grants it.</summary>
public sealed partial class RoleTests
{
    // Built-in roles whose actions include Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action.
    private static readonly Dictionary<string, string> DelegatingRoles = new()
    {
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Storage Blob Data Owner",
        ["ba92f5b4-2d11-453d-a403-e96b0029c9fe"] = "Storage Blob Data Contributor",
        ["2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"] = "Storage Blob Data Reader",
        ["db58b8e5-c6ad-4a2a-8342-4190687cbf4a"] = "Storage Blob Delegator",
    };

    [Fact]
    public void TheAppIdentity_MayGetAUserDelegationKey_AtAccountScope_ToSignDownloadLinks()
    {
        string roles = Templates.Read("modules", "roles.bicep");
        var ids = RoleId().Matches(roles).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        string appRoles = AppStorageRoles().Match(roles).Groups[1].Value;
        var granted = RoleReference().Matches(appRoles).Select(m => ids[m.Groups[1].Value]).ToList();

        // The key is an account-level operation: a role scoped to a container would not do.
        Assert.Matches(@"resource appStorage [^\n]*\n(?:[^\n]*\n)*?\s*scope: storage\n", roles);
        Assert.Contains(granted, DelegatingRoles.ContainsKey);
    }

    [GeneratedRegex(@"^\s*(\w+): '([0-9a-f-]{36})'", RegexOptions.Multiline)]
    private static partial Regex RoleId();

    [GeneratedRegex(@"var appStorageRoles = \[(.*?)\]", RegexOptions.Singleline)]
    private static partial Regex AppStorageRoles();

    [GeneratedRegex(@"roleIds\.(\w+)")]
    private static partial Regex RoleReference();
}
