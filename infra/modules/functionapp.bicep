// Hosting: a Linux Flex Consumption plan (FC1) and the .NET 10 isolated-worker function app.
// The app runs under its system-assigned identity; every connection it makes (storage, Key Vault,
// Application Insights) is identity-based. Role assignments live in roles.bicep.

@description('Azure region of the resources.')
param location string

@description('Tags applied to every resource (the app additionally gets azd-service-name).')
param tags object = {}

@description('azd service name, used by "azd deploy" to find this app.')
param serviceName string = 'api'

@description('Name of the Flex Consumption plan.')
param planName string

@description('Name of the function app (globally unique host name).')
param name string

@description('Storage account used by the host, the Durable task hub, the app containers and the deployment package.')
param storageAccountName string

@description('Container of that account that receives the deployment package.')
param deploymentContainerName string

@description('Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Versionless URI of the Key Vault secret holding the fal.ai API key.')
param falKeySecretUri string

@description('Memory size of one instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound of instances the plan scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Container for archived videos.')
param videosContainerName string

@description('The app\'s work container: staged images, job claims, the submission ledger.')
param workContainerName string

@description('Container manifests are uploaded into (read by the Event Grid-sourced blob trigger).')
param jobsContainerName string

@description('Container of private reference images that manifests may name (read with the app identity).')
param imagesContainerName string

@description('Versionless URI of the Key Vault secret holding the fal ADMIN-scope key; empty: fal\'s billing and payload deletion are off.')
param falAdminKeySecretUri string = ''

@description('The app\'s fal user id (X-Fal-Webhook-User-Id): webhooks for other fal accounts are refused; empty: not pinned.')
param falWebhookUserId string = ''

@description('Daily budget in USD per UTC day ("25", "100.50"); empty: no budget.')
param dailyBudgetUsd string = ''

@description('Where the worker sends its telemetry: ApplicationInsights or OpenTelemetry (to Azure Monitor; the app\'s metrics go out only this way).')
@allowed([
  'ApplicationInsights'
  'OpenTelemetry'
])
param telemetryExporter string = 'ApplicationInsights'

@description('Days finished job histories are kept; 0 keeps them for good.')
@minValue(0)
param historyRetentionDays int = 30

@description('Versionless URI of the Key Vault secret that signs job callbacks; empty: callbacks are off.')
param callbackSigningSecretUri string = ''

@description('How long an orchestration waits for the fal webhook before polling (TimeSpan, "hh:mm:ss").')
param jobsFirstStatusCheck string = '00:01:30'

@description('Overall deadline of one job (TimeSpan, "hh:mm:ss").')
param jobsDeadline string = '00:30:00'

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// Host and platform settings. Flex Consumption sets FUNCTIONS_EXTENSION_VERSION and
// FUNCTIONS_WORKER_RUNTIME from functionAppConfig.runtime; they must not be app settings here.
var hostSettings = {
  // Functions host + Durable task hub (Azure Storage backend): identity-based connection "AzureWebJobsStorage".
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table

  // The manifest trigger's connection "JobsStorage" (identity-based). The blob extension reads the manifest through it,
  // and needs its queue endpoint too (it writes poison messages there). The Event Grid webhook's own queue is in
  // AzureWebJobsStorage, above. Both are this account; roles.bicep grants blob owner and queue contributor on it.
  JobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  JobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  JobsStorage__credential: 'managedidentity'

  // Telemetry, sent with the app's identity (Entra auth; local auth can be off on the component).
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
}

// ---------------------------------------------------------------------------------------------
// App configuration bound by VeoFunctions (IOptions sections; "__" is the ":" section separator).
// Edit names/values here: this is the one place the templates define the app's own settings.
// ---------------------------------------------------------------------------------------------
var appSettings = {
  // fal.ai (section "Fal", FalOptions)
  Fal__QueueBaseUrl: 'https://queue.fal.run'
  Fal__RestBaseUrl: 'https://rest.fal.ai'
  Fal__JwksUrl: 'https://rest.fal.ai/.well-known/jwks.json'
  Fal__PlatformBaseUrl: 'https://api.fal.ai/v1'
  Fal__Key: '@Microsoft.KeyVault(SecretUri=${falKeySecretUri})'
  // Billing events and payload deletion need an ADMIN-scope key; empty turns both off (costs stay estimates).
  Fal__AdminKey: empty(falAdminKeySecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${falAdminKeySecretUri})'
  // fal signs every account's webhooks with one key set: only deliveries for this fal user are taken (empty: any).
  Fal__WebhookUserId: falWebhookUserId
  // Reference images uploaded to fal's CDN are deleted by fal after a day (TimeSpan "d.hh:mm:ss").
  Fal__UploadLifetime: '1.00:00:00'

  // Money (section "Money", MoneyOptions): the daily budget (empty: off) and fal's copies deleted after the archive.
  Money__DailyBudgetUsd: dailyBudgetUsd
  Money__DeleteFalPayloads: 'true'

  // Operations: the worker's telemetry exporter, and how long finished durable histories are kept.
  Telemetry__Exporter: telemetryExporter
  Retention__HistoryDays: string(historyRetentionDays)

  // Public origin fal calls back (webhook URL = this + the webhook route).
  Jobs__PublicBaseUrl: 'https://${functionApp.properties.defaultHostName}'

  // Blob storage used by the app itself (identity-based: endpoint only, no keys).
  Storage__BlobServiceUri: storage.properties.primaryEndpoints.blob
  // The daily budget's table (Storage:BudgetTable, default veobudget) on the same account.
  Storage__TableServiceUri: storage.properties.primaryEndpoints.table
  Storage__VideosContainer: videosContainerName
  Storage__WorkContainer: workContainerName

  // Manifests: the container the blob trigger watches (its path is %Storage:JobsContainer%/{name}).
  Storage__JobsContainer: jobsContainerName
  Storage__ImagesContainer: imagesContainerName

  // Job callbacks' Standard Webhooks secret (section "Callbacks", CallbackOptions); empty turns callbacks off.
  Callbacks__SigningSecret: empty(callbackSigningSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${callbackSigningSecretUri})'

  // Job timing (TimeSpan "hh:mm:ss").
  Jobs__FirstStatusCheck: jobsFirstStatusCheck
  Jobs__Deadline: jobsDeadline
}

// A separate config resource (not siteConfig.appSettings) so settings can use the app's own host name.
// It replaces the whole app-settings collection on every deployment.
resource settings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(hostSettings, appSettings)
}

output name string = functionApp.name
output id string = functionApp.id
output defaultHostName string = functionApp.properties.defaultHostName
output principalId string = functionApp.identity.principalId
output planName string = plan.name
