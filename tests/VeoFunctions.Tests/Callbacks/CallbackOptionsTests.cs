using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VeoFunctions.Callbacks;

namespace VeoFunctions.Tests.Callbacks;

public sealed class CallbackOptionsTests
{
    private static List<ValidationResult> Validate(CallbackOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(CallbackTestData.Secret)] // 24 bytes, the least allowed
    [InlineData("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")] // 64 bytes
    public void AMissingOrWellFormedSecret_IsValid(string? secret)
    {
        Assert.Empty(Validate(new CallbackOptions { SigningSecret = secret }));
    }

    [Theory]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")] // no prefix
    [InlineData("whsec_not base64!")]
    [InlineData("whsec_AAAAAAAAAAAAAAAAAAAAAA==")] // 16 bytes
    [InlineData("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 66 bytes
    [InlineData("whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")] // an asymmetric key's prefix
    public void AMalformedSecret_IsRefused_WithoutEchoingIt(string secret)
    {
        var result = Assert.Single(Validate(new CallbackOptions { SigningSecret = secret }));

        Assert.Equal([nameof(CallbackOptions.SigningSecret)], result.MemberNames);
        Assert.DoesNotContain(secret, result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDefaults_AreAnUnsignedAppAndTenSecondAttempts()
    {
        var options = new CallbackOptions();

        Assert.False(options.CanSign);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
    }

    [Fact]
    public void AMalformedSecret_StopsTheAppAtStartUp()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Callbacks:SigningSecret"] = "whsec_short" })
            .Build();
        using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddCallbacks().BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CallbackOptions>>().Value);

        Assert.Contains("SigningSecret must be a Standard Webhooks secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSectionBinds()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Callbacks:SigningSecret"] = CallbackTestData.Secret,
                ["Callbacks:Timeout"] = "00:00:05",
            })
            .Build();
        using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddCallbacks().BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<CallbackOptions>>().Value;

        Assert.True(options.CanSign);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Timeout);
    }
}
