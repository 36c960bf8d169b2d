// Manifest uploads -> the app. Flex Consumption has no polling blob trigger: the StartManifestJobs function is a blob
// trigger with the Event Grid source, and Event Grid delivers the storage account's BlobCreated events for the jobs
// container to the blob extension's webhook, authenticated by the app's blobs_extension system key.
//
// The system topic (free, no events flow until something subscribes) is created on every provision. The subscription
// only when subscribe is true: creating it makes Event Grid run its validation handshake against the webhook, which
// exists only once the code is deployed, and its key only then too. azure.yaml's postdeploy hook turns it on.

@description('Azure region of the resources (a storage system topic lives in its account\'s region).')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Name of the Event Grid system topic.')
param topicName string

@description('Storage account whose blob events are delivered.')
param storageAccountName string

@description('Container the manifests are uploaded into.')
param jobsContainerName string

@description('Container that receives manifest events Event Grid gave up delivering (redrive them with POST /api/manifests/run).')
param deadLetterContainerName string

@description('Function app that runs the manifest trigger.')
param functionAppName string

@description('Name of the Event Grid-sourced blob-trigger function.')
param functionName string = 'StartManifestJobs'

@description('Create the event subscription (only once the code is deployed: see the header).')
param subscribe bool = false

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: topicName
  location: location
  tags: tags
  // Its own identity writes dead-lettered events: the account allows no shared-key access.
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' existing = {
  parent: storage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' existing = {
  parent: blobService
  name: deadLetterContainerName
}

// Storage Blob Data Contributor on the dead-letter container only.
var blobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, topic.id, blobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributor)
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// The blob extension's webhook ("Host.Functions.<name>" is how the host names a function). The key is read at deployment
// time ("Web Apps - List Host Keys") and lands only in the subscription's write-only endpoint URL. Read only when
// subscribing: ARM evaluates a list function inside a resource even when the resource's condition is false, and before
// the first deploy the app has no code, so no host keys (and no blobs_extension key) to list: the provision would fail.
var endpointUrl = subscribe
  ? 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${listKeys('${functionApp.id}/host/default', functionApp.apiVersion).systemKeys.blobs_extension}'
  : ''

resource manifests 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (subscribe) {
  parent: topic
  name: 'jobs-manifests'
  dependsOn: [
    deadLetterWriter
  ]
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      // Manifests only: {jobs}/…/*.json. The app writes {name}.result.json and {name}.error.json beside each manifest;
      // those are BlobCreated events too, and must not come back as manifests (an error file begetting an error file).
      // The function checks the same rules, since Event Grid is not the only thing that can call the webhook.
      subjectBeginsWith: '/blobServices/default/containers/${jobsContainerName}/blobs/'
      subjectEndsWith: '.json'
      advancedFilters: [
        {
          operatorType: 'StringNotEndsWith'
          key: 'subject'
          values: [
            '.result.json'
            '.error.json'
          ]
        }
      ]
    }
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: endpointUrl
        // One event per request: the host queues each one for its own run, and a failure then retries one manifest only.
        maxEventsPerBatch: 1
      }
    }
    // Event Grid's defaults, written out: redelivery with backoff for a day. The app is idempotent per entry, so a
    // redelivered event starts nothing twice.
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    // An event given up on is not lost: it lands in the dead-letter container, {topic}/{subscription}/…, and names the
    // manifest (subject, data.url), which POST /api/manifests/run?name=… runs again.
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output topicName string = topic.name
output subscriptionName string = subscribe ? manifests.name : ''
