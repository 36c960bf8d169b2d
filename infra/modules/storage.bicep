// One storage account for everything the app stores, reached only with Entra ID (no account keys):
//   - the Functions host (AzureWebJobsStorage: leases, timers, host secrets),
//   - the Durable Functions task hub (Azure Storage backend: queues, tables, blobs),
//   - the app's own containers (videos; work: staged images, job claims, the submission ledger),
//   - the Flex Consumption deployment package container.

@description('Azure region of the resources.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Name of the storage account (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Container that receives the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Blob containers the app uses (archived videos, staged images, job manifests).')
param appContainerNames array

@description('The app\'s work container: blobs under its staged/ prefix (staged reference images) are deleted after stagingRetentionDays; job claims and the submission ledger beside them are kept (empty: no rule).')
param workContainerName string = ''

@description('Days after which staged images are deleted; 0 turns the rule off.')
@minValue(0)
param stagingRetentionDays int = 7

@description('Redundancy of the account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param skuName string = 'Standard_LRS'

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      // No VNet integration in this template: the Flex Consumption app reaches the account publicly.
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = [
  for containerName in union([deploymentContainerName], appContainerNames): {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-01-01' = if (!empty(workContainerName) && stagingRetentionDays > 0) {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-staged-images'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              // Staged images only (ImageStaging.Prefix). The claims and the ledger in the same container are what
              // stop a replayed request from paying twice: they must outlive the job's history, so they are kept.
              prefixMatch: [
                '${workContainerName}/staged/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: stagingRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
  dependsOn: [
    containers
  ]
}

output name string = storage.name
output id string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
