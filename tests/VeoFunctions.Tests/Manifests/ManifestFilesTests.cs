using VeoFunctions.Manifests;

namespace VeoFunctions.Tests.Manifests;

public sealed class ManifestFilesTests
{
    [Theory]
    [InlineData("run.json")]
    [InlineData("nightly/2026-03-01/run.json")]
    [InlineData("RUN.JSON")]
    [InlineData("a.json")]
    [InlineData("x.results.json")]
    [InlineData("errors.json")]
    public void AJsonBlob_IsAManifest(string name) => Assert.True(ManifestFiles.IsManifest(name));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(".json")]
    [InlineData("run.result.json")]
    [InlineData("batch/run.error.json")]
    [InlineData("RUN.RESULT.JSON")]
    [InlineData("run.Error.Json")]
    [InlineData("run.txt")]
    [InlineData("run.json.bak")]
    [InlineData("cat.png")]
    public void OtherBlobs_AndTheAppsOwnFiles_AreNotManifests(string? name) => Assert.False(ManifestFiles.IsManifest(name));

    [Theory]
    [InlineData("run.json", "run.result.json", "run.error.json")]
    [InlineData("nightly/2026-03-01/run.json", "nightly/2026-03-01/run.result.json", "nightly/2026-03-01/run.error.json")]
    [InlineData("a.b.json", "a.b.result.json", "a.b.error.json")]
    public void TheAppsFiles_LieBesideTheManifest_UnderItsName(string manifest, string result, string error)
    {
        Assert.Equal(result, ManifestFiles.ResultName(manifest));
        Assert.Equal(error, ManifestFiles.ErrorName(manifest));
    }

    [Theory]
    [InlineData("run.json")]
    [InlineData("RUN.JSON")]
    [InlineData("deep/er/run.json")]
    public void TheAppsOwnFiles_NeverCountAsManifests_SoAnErrorFileBegetsNoErrorFile(string manifest)
    {
        Assert.False(ManifestFiles.IsManifest(ManifestFiles.ResultName(manifest)));
        Assert.False(ManifestFiles.IsManifest(ManifestFiles.ErrorName(manifest)));
        Assert.False(ManifestFiles.IsManifest(ManifestFiles.ErrorName(ManifestFiles.ErrorName(manifest))));
    }
}
