namespace VeoFunctions.Tests.Deployment;

/// <summary>
/// The Event Grid wiring of the manifest door: events reach the blob extension's webhook for the one function, only for
/// the container the app is told to watch, and never for the result and error files the app writes there itself.
/// </summary>
public sealed class EventSubscriptionTests
{
    [Fact]
    public void TheSubscription_DeliversToTheBlobExtensionWebhook_WithItsSystemKey()
    {
        string events = Templates.Read("modules", "events.bicep");

        Assert.Contains(
            "'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${listKeys('${functionApp.id}/host/default', functionApp.apiVersion).systemKeys.blobs_extension}'",
            events,
            StringComparison.Ordinal);
        Assert.Contains("resource manifests 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (subscribe) {", events, StringComparison.Ordinal);
    }

    /// <summary>
    /// ARM evaluates a list function in a resource whose condition is false too, and before the first deploy the app
    /// has no host keys: the compiled template may list them only behind the same condition that creates the subscription.
    /// </summary>
    [Fact]
    public async Task TheHostKeysAreListedOnlyWhenSubscribing_SoTheFirstProvisionNeverAsksForThem()
    {
        var events = CompiledTemplate.Module(await CompiledTemplate.MainAsync(), "events");

        var listing = CompiledTemplate.Strings(events).Where(s => s.Contains("listKeys(", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(listing);
        Assert.All(listing, expression => Assert.StartsWith("[if(parameters('subscribe'), ", expression, StringComparison.Ordinal));
    }

    [Fact]
    public void TheFilter_TakesManifestsOfTheJobsContainer_AndNotTheAppsOwnFiles()
    {
        string events = Templates.Read("modules", "events.bicep");

        Assert.Contains("'Microsoft.Storage.BlobCreated'", events, StringComparison.Ordinal);
        Assert.Contains("subjectBeginsWith: '/blobServices/default/containers/${jobsContainerName}/blobs/'", events, StringComparison.Ordinal);
        Assert.Contains("subjectEndsWith: '.json'", events, StringComparison.Ordinal);
        Assert.Matches(@"operatorType: 'StringNotEndsWith'\s+key: 'subject'\s+values: \[\s+'\.result\.json'\s+'\.error\.json'\s+\]", events);
    }

    [Fact]
    public void TheWatchedContainer_IsTheOneTheAppIsConfiguredWith()
    {
        string main = Templates.Read("main.bicep");
        string app = Templates.Read("modules", "functionapp.bicep");

        Assert.Matches(@"module events [^\n]*\n(?:[^\n]*\n)*?\s*jobsContainerName: containers\.jobs\n", main);
        Assert.Matches(@"module functionApp [^\n]*\n(?:[^\n]*\n)*?\s*jobsContainerName: containers\.jobs\n", main);
        Assert.Contains("Storage__JobsContainer: jobsContainerName", app, StringComparison.Ordinal);
        Assert.Contains("JobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob", app, StringComparison.Ordinal);
        Assert.Contains("JobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue", app, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEventGivenUpOn_IsDeadLettered_ToItsOwnContainer_ByTheTopicsIdentity()
    {
        string events = Templates.Read("modules", "events.bicep");
        string main = Templates.Read("main.bicep");

        Assert.Matches(@"deadLetterWithResourceIdentity: \{\s+identity: \{\s+type: 'SystemAssigned'", events);
        Assert.Matches(@"endpointType: 'StorageBlob'\s+properties: \{\s+resourceId: storage\.id\s+blobContainerName: deadLetterContainerName", events);
        Assert.Contains("principalId: topic.identity.principalId", events, StringComparison.Ordinal);
        Assert.Contains("deadLetterContainerName: containers.deadLetter", main, StringComparison.Ordinal);
        Assert.Contains("deadLetter: 'jobs-deadletter'", main, StringComparison.Ordinal);
    }
}
