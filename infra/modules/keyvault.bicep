// Key Vault in RBAC mode holding the fal.ai API key and the callback signing secret. The function app never sees the key in its
// configuration: it gets a Key Vault reference that App Service resolves with the app's identity.

@description('Azure region of the resources.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Name of the vault (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Turn purge protection on. It cannot be turned off again, and blocks reusing the name for the retention period after deletion.')
param enablePurgeProtection bool = false

@description('Days a deleted vault or secret stays recoverable.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 7

@description('Name of the secret holding the fal.ai API key.')
param falKeySecretName string = 'fal-key'

@description('fal.ai API key ("id:secret"). Empty: the secret is not written (set it later with az keyvault secret set).')
@secure()
param falKey string = ''

@description('Name of the secret holding the fal.ai ADMIN-scope key (billing events, payload deletion).')
param falAdminKeySecretName string = 'fal-admin-key'

@description('fal.ai ADMIN-scope key. Empty: the secret is not written, and cost truth and fal clean-up stay off.')
@secure()
param falAdminKey string = ''

@description('Name of the secret holding the Standard Webhooks secret that signs job callbacks.')
param callbackSigningSecretName string = 'callback-signing-secret'

@description('The callback signing secret ("whsec_…"). Empty: the secret is not written.')
@secure()
param callbackSigningSecret string = ''

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // The service rejects an explicit false once protection exists, so omit the property instead.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource falKeySecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(falKey)) {
  parent: vault
  name: falKeySecretName
  properties: {
    value: falKey
    contentType: 'text/plain'
  }
}

resource falAdminKeySecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(falAdminKey)) {
  parent: vault
  name: falAdminKeySecretName
  properties: {
    value: falAdminKey
    contentType: 'text/plain'
  }
}

resource callbackSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(callbackSigningSecret)) {
  parent: vault
  name: callbackSigningSecretName
  properties: {
    value: callbackSigningSecret
    contentType: 'text/plain'
  }
}

output name string = vault.name
output id string = vault.id
output vaultUri string = vault.properties.vaultUri
// Versionless URI: App Service follows the latest version of the secret.
output falKeySecretUri string = '${vault.properties.vaultUri}secrets/${falKeySecretName}'
output falAdminKeySecretUri string = '${vault.properties.vaultUri}secrets/${falAdminKeySecretName}'
output callbackSigningSecretUri string = '${vault.properties.vaultUri}secrets/${callbackSigningSecretName}'
