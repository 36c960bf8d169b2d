using System.Net;
using VeoFunctions.Images;

namespace VeoFunctions.Tests.Images;

public sealed class IpAddressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("0.0.0.0")]
    [InlineData("0.1.2.3")]
    [InlineData("10.0.0.1")]
    [InlineData("10.255.255.255")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.0.1")]
    [InlineData("168.63.129.16")] // Azure's platform address
    [InlineData("::ffff:168.63.129.16")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("192.0.0.8")]
    [InlineData("192.0.2.1")]
    [InlineData("198.18.0.1")]
    [InlineData("198.19.255.255")]
    [InlineData("198.51.100.7")]
    [InlineData("203.0.113.9")]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("240.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("febf::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456:789a::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("::127.0.0.1")]
    [InlineData("::8.8.8.8")]
    [InlineData("64:ff9b::7f00:1")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("64:ff9b:1::1")]
    [InlineData("2002:7f00:0001::1")]
    [InlineData("2002:c0a8:0101::1")]
    [InlineData("2001::1")]
    [InlineData("2001:db8::1")]
    [InlineData("100::1")]
    public void IsPublic_RefusesNonPublicAddress(string address)
    {
        Assert.False(IpAddressPolicy.IsPublic(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("93.184.216.34")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.1")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.1")]
    [InlineData("169.253.1.1")]
    [InlineData("198.20.0.1")]
    [InlineData("223.255.255.254")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("2a00:1450:4001::200e")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2002:0808:0808::1")]
    public void IsPublic_AcceptsPublicAddress(string address)
    {
        Assert.True(IpAddressPolicy.IsPublic(IPAddress.Parse(address)));
    }

    [Fact]
    public void IsAllowListed_MatchesHostNamesCaseInsensitively()
    {
        Assert.True(IpAddressPolicy.IsAllowListed("LocalHost", ["localhost"]));
        Assert.False(IpAddressPolicy.IsAllowListed("localhost.evil.example", ["localhost"]));
        Assert.False(IpAddressPolicy.IsAllowListed("localhost", []));
    }

    [Fact]
    public void IsAllowListed_MatchesAddressesInAnySpelling()
    {
        Assert.True(IpAddressPolicy.IsAllowListed(IPAddress.Parse("::ffff:127.0.0.1"), ["127.0.0.1"]));
        Assert.True(IpAddressPolicy.IsAllowListed("[::1]", ["::1"]));
        Assert.False(IpAddressPolicy.IsAllowListed(IPAddress.Parse("127.0.0.2"), ["127.0.0.1"]));
    }

    [Fact]
    public void IsPermitted_LetsAllowListedPrivateAddressesThrough()
    {
        var loopback = IPAddress.Loopback;

        Assert.False(IpAddressPolicy.IsPermitted(loopback, "localhost", []));
        Assert.True(IpAddressPolicy.IsPermitted(loopback, "localhost", ["localhost"]));
        Assert.True(IpAddressPolicy.IsPermitted(loopback, "anything", ["127.0.0.1"]));
        Assert.True(IpAddressPolicy.IsPermitted(IPAddress.Parse("8.8.8.8"), "dns.google", []));
    }
}
