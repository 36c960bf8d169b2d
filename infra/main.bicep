// VeoFunctions: Durable Functions app (.NET 10 isolated) on Azure Functions Flex Consumption.
// Entry point for azd ("azd provision" / "azd up"). Creates the resource group and wires the
// per-concern modules together:
//   monitoring  -> Log Analytics + Application Insights
//   storage     -> host / Durable task hub / app containers / deployment package (no shared keys)
//   keyvault    -> RBAC vault with the fal.ai key
//   functionapp -> FC1 plan + function app (system-assigned identity) + app settings
//   roles       -> every role assignment
//   alerts      -> scheduled log queries for what costs money (paid and lost, uncertain submit, webhook 5xx, budget)
//   events      -> Event Grid system topic on the storage account; after deploy, the subscription that starts
//                  manifest jobs (see azure.yaml's postdeploy hook)
targetScope = 'subscription'

@description('azd environment name; seeds resource names and the azd-env-name tag.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Region of all resources (must offer Flex Consumption).')
@minLength(1)
@metadata({ azd: { type: 'location' } })
param location string

@description('Resource group to create; default rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object id of the deploying user/service principal (azd sets AZURE_PRINCIPAL_ID); gets blob read/write and fal-key management. Empty: none.')
param principalId string = ''

@description('Kind of principalId.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('fal.ai API key ("id:secret"), stored as Key Vault secret fal-key. Required by azd (its preprovision hook refuses an empty FAL_KEY); empty here leaves the secret as is.')
@secure()
param falKey string = ''

@description('fal.ai ADMIN-scope key, stored as Key Vault secret fal-admin-key: billing events (a job\'s true cost) and payload deletion. Empty: both are off.')
@secure()
param falAdminKey string = ''

@description('The app\'s fal user id, as fal sends it in X-Fal-Webhook-User-Id: webhooks signed for any other fal account are refused. Empty: not pinned (the app logs the id to set).')
param falWebhookUserId string = ''

@description('Daily budget in USD per UTC day ("100"); empty: no budget.')
param dailyBudgetUsd string = ''

@description('Email that receives the alerts (paid and lost, uncertain submit, webhook 5xx, budget nearly spent); empty: nobody is notified.')
param alertEmail string = ''

@description('Where the worker sends its telemetry: ApplicationInsights, or OpenTelemetry (also exports the app\'s metrics).')
@allowed([
  'ApplicationInsights'
  'OpenTelemetry'
])
param telemetryExporter string = 'ApplicationInsights'

@description('Days finished job histories are kept; 0 keeps them for good.')
@minValue(0)
param historyRetentionDays int = 30

@description('Standard Webhooks secret that signs job callbacks ("whsec_" + base64 of 24-64 random bytes), stored as Key Vault secret callback-signing-secret. Empty: callbacks are off (a job asking for one is refused).')
@secure()
param callbackSigningSecret string = ''

@description('Create the Event Grid subscription that starts jobs from manifest uploads. Only after the code is deployed (its creation calls the app\'s webhook): azure.yaml\'s postdeploy hook sets it.')
param subscribeJobEvents bool = false

@description('Turn on Key Vault purge protection (irreversible).')
param enableKeyVaultPurgeProtection bool = false

@description('Memory of one Flex Consumption instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Maximum number of Flex Consumption instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('When a job first asks fal for status if no webhook came (TimeSpan "hh:mm:ss"); near the expected generation time.')
param jobsFirstStatusCheck string = '00:01:30'

@description('Overall deadline of one job (TimeSpan "hh:mm:ss").')
param jobsDeadline string = '00:30:00'

@description('Days after which staged images (the work container\'s staged/ blobs) are deleted; 0 keeps them.')
@minValue(0)
param stagingRetentionDays int = 7

@description('Accept only Entra-authenticated telemetry in Application Insights.')
param disableApplicationInsightsLocalAuth bool = true

var tags = {
  'azd-env-name': environmentName
}

// Short, stable per-environment suffix for globally unique names.
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))

// Resource-type abbreviations (Cloud Adoption Framework).
var abbrs = {
  resourceGroup: 'rg-'
  logAnalytics: 'log-'
  applicationInsights: 'appi-'
  storageAccount: 'st'
  keyVault: 'kv-'
  flexPlan: 'plan-'
  functionApp: 'func-'
  eventGridSystemTopic: 'egst-'
}

var containers = {
  videos: 'videos'
  work: 'veo-work'
  jobs: 'jobs'
  images: 'images'
  deployment: 'deploymentpackage'
  deadLetter: 'jobs-deadletter'
}

var functionAppName = '${abbrs.functionApp}veo-${resourceToken}'

// The Event Grid-sourced blob trigger that reads manifests (its [Function] name in the code).
var manifestFunctionName = 'StartManifestJobs'

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourceGroup}${environmentName}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: '${abbrs.logAnalytics}${resourceToken}'
    applicationInsightsName: '${abbrs.applicationInsights}${resourceToken}'
    disableLocalAuth: disableApplicationInsightsLocalAuth
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.storageAccount}${resourceToken}'
    deploymentContainerName: containers.deployment
    appContainerNames: [
      containers.videos
      containers.work
      containers.jobs
      containers.images
      containers.deadLetter
    ]
    workContainerName: containers.work
    stagingRetentionDays: stagingRetentionDays
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.keyVault}${resourceToken}'
    enablePurgeProtection: enableKeyVaultPurgeProtection
    falKey: falKey
    falAdminKey: falAdminKey
    callbackSigningSecret: callbackSigningSecret
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    location: location
    tags: tags
    serviceName: 'api'
    planName: '${abbrs.flexPlan}${resourceToken}'
    name: functionAppName
    storageAccountName: storage.outputs.name
    deploymentContainerName: containers.deployment
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    falKeySecretUri: keyVault.outputs.falKeySecretUri
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    videosContainerName: containers.videos
    workContainerName: containers.work
    jobsContainerName: containers.jobs
    imagesContainerName: containers.images
    // Only when a secret is given: an unresolvable Key Vault reference would reach the app as its literal text.
    callbackSigningSecretUri: empty(callbackSigningSecret) ? '' : keyVault.outputs.callbackSigningSecretUri
    jobsFirstStatusCheck: jobsFirstStatusCheck
    jobsDeadline: jobsDeadline
    falAdminKeySecretUri: empty(falAdminKey) ? '' : keyVault.outputs.falAdminKeySecretUri
    falWebhookUserId: falWebhookUserId
    dailyBudgetUsd: dailyBudgetUsd
    telemetryExporter: telemetryExporter
    historyRetentionDays: historyRetentionDays
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    namePrefix: 'alert-veo-${resourceToken}'
    alertEmail: alertEmail
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appPrincipalId: functionApp.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

module events 'modules/events.bicep' = {
  name: 'events'
  scope: rg
  params: {
    location: location
    tags: tags
    topicName: '${abbrs.eventGridSystemTopic}${resourceToken}'
    storageAccountName: storage.outputs.name
    jobsContainerName: containers.jobs
    deadLetterContainerName: containers.deadLetter
    functionAppName: functionApp.outputs.name
    functionName: manifestFunctionName
    subscribe: subscribeJobEvents
  }
}

// azd stores these in the environment (.azure/<env>/.env).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_HOST_NAME string = functionApp.outputs.defaultHostName
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_STORAGE_JOBS_CONTAINER string = containers.jobs
output AZURE_EVENT_GRID_TOPIC_NAME string = events.outputs.topicName
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
// Not a secret: it only identifies the component; ingestion needs Entra auth when local auth is off.
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
