using System.Net;
using System.Text;
using Lethe.Domain.Snapshots;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class SnapshotTests(HostFixture fixture) : IClassFixture<HostFixture>, IAsyncLifetime
{
    private ControlPlaneHost Host => fixture.Host;

    private string _v1Sha = "";
    private string _v2Sha = "";
    private string _rule = "";

    public async Task InitializeAsync()
    {
        using var editor = Host.Client();
        if ((await editor.GetAsync("/policies/sealed")).StatusCode == HttpStatusCode.OK)
        {
            var listed = await editor.Snapshots("sealed");
            (_v1Sha, _v2Sha) = (listed[0]!["contentSha256"].Str(), listed[1]!["contentSha256"].Str());
            _rule = (await editor.RuleIds("sealed", "work"))[0];
            return;
        }
        await editor.CreatePolicyWithWork("sealed");
        _rule = await editor.AddRule("sealed", "work", "action=accept dst4=192.0.2.0/24 proto=tcp dstports=443 comment=intranet");
        _v1Sha = (await editor.Publish("sealed"))["contentSha256"].Str();
        await editor.AddRule("sealed", "work", "action=drop");
        _v2Sha = (await editor.Publish("sealed"))["contentSha256"].Str();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private string TrustedKey => File.ReadAllText(Host.PublicKeyPath);

    [Fact]
    public async Task a_snapshot_verifies_with_the_control_planes_public_key()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        var bytes = await viewer.GetByteArrayAsync("/policies/sealed/snapshots/1");

        var verified = SnapshotVerifier.Verify(bytes, TrustedKey);
        Assert.Equal("sealed", verified.Envelope.Policy);
        Assert.Equal(1, verified.Envelope.Version);
        Assert.Equal(_v1Sha, verified.Envelope.ContentSha256);
        var client = Assert.Single(verified.Content.Clients);
        Assert.Equal("work", client.Name);
        var rule = Assert.Single(client.Rules);
        Assert.Equal(_rule, rule.Id);
        Assert.Equal("action=accept dst4=192.0.2.0/24 proto=tcp dstports=443-443", rule.Rule);
    }

    [Fact]
    public async Task latest_is_the_newest_version()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        var bytes = await viewer.GetByteArrayAsync("/policies/sealed/snapshots/latest");

        var verified = SnapshotVerifier.Verify(bytes, TrustedKey);
        Assert.Equal(2, verified.Envelope.Version);
        Assert.Equal(_v2Sha, verified.Envelope.ContentSha256);
    }

    [Fact]
    public async Task the_same_version_always_gives_the_same_bytes()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        var first = await viewer.GetByteArrayAsync("/policies/sealed/snapshots/1");
        var second = await viewer.GetByteArrayAsync("/policies/sealed/snapshots/1");

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task a_flipped_byte_inside_the_content_is_refused()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        var bytes = await viewer.GetByteArrayAsync("/policies/sealed/snapshots/1");

        var tampered = FlipContentByte(bytes);

        Assert.NotEqual(bytes, tampered);
        var refused = Assert.Throws<SnapshotVerificationException>(() => SnapshotVerifier.Verify(tampered, TrustedKey));
        Assert.Contains("hash", refused.Message);
    }

    [Fact]
    public async Task a_snapshot_does_not_verify_with_another_key()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        var bytes = await viewer.GetByteArrayAsync("/policies/sealed/snapshots/1");
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);

        var refused = Assert.Throws<SnapshotVerificationException>(() => SnapshotVerifier.Verify(bytes, other.ExportSubjectPublicKeyInfoPem()));

        Assert.Contains("key", refused.Message);
    }

    [Fact]
    public async Task the_snapshot_list_shows_version_hash_key_and_time()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        var listed = await viewer.Snapshots("sealed");

        Assert.Equal(2, listed.Count);
        Assert.All(listed, s =>
        {
            Assert.NotEmpty(s!["keyId"].Str());
            Assert.NotEmpty(s["sealedAt"].Str());
            Assert.Null(s["content"]);
            Assert.Null(s["signature"]);
        });
    }

    [Fact]
    public async Task an_unchanged_snapshot_answers_304_to_its_etag()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        var first = await viewer.GetAsync("/policies/sealed/snapshots/latest");
        using var again = new HttpRequestMessage(HttpMethod.Get, "/policies/sealed/snapshots/latest");
        again.Headers.TryAddWithoutValidation("If-None-Match", first.Headers.ETag!.Tag);

        using var stale = new HttpRequestMessage(HttpMethod.Get, "/policies/sealed/snapshots/latest");
        stale.Headers.TryAddWithoutValidation("If-None-Match", "\"not-this-one\"");

        var response = await viewer.SendAsync(again);
        var changed = await viewer.SendAsync(stale);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await changed.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("W/{0}")]
    [InlineData("\"older\", {0}")]
    [InlineData("*")]
    public async Task if_none_match_is_read_as_a_list_of_tags_weak_or_strong(string shape)
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        var first = await viewer.GetAsync("/policies/sealed/snapshots/2");
        using var again = new HttpRequestMessage(HttpMethod.Get, "/policies/sealed/snapshots/2");
        again.Headers.TryAddWithoutValidation("If-None-Match", string.Format(System.Globalization.CultureInfo.InvariantCulture, shape, first.Headers.ETag!.Tag));

        var response = await viewer.SendAsync(again);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(first.Headers.ETag, response.Headers.ETag);
    }

    [Fact]
    public async Task a_version_that_does_not_exist_is_404_with_or_without_an_etag()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/policies/sealed/snapshots/99");
        request.Headers.TryAddWithoutValidation("If-None-Match", "*");

        var response = await viewer.SendAsync(request);

        var problem = await response.Problem(HttpStatusCode.NotFound);
        Assert.Contains("has no version 99", problem["detail"].Str());
    }

    /// <summary>Changes one character in the middle of the base64 "content" value to another base64 character.</summary>
    public static byte[] FlipContentByte(byte[] file)
    {
        var text = Encoding.UTF8.GetString(file);
        const string marker = "\"content\":\"";
        var start = text.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        var end = text.IndexOf('"', start);
        Assert.True(start >= marker.Length && end > start + 8, "the snapshot file has no content field");
        var at = start + (end - start) / 2;
        var flipped = text[at] == 'A' ? 'B' : 'A';
        return Encoding.UTF8.GetBytes(text[..at] + flipped + text[(at + 1)..]);
    }

    [Theory]
    [InlineData("/policies/nosuch/snapshots/1")]
    [InlineData("/policies/nosuch/snapshots/latest")]
    public async Task a_snapshot_of_a_policy_that_does_not_exist_names_the_missing_policy(string path)
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        var problem = await (await viewer.GetAsync(path)).Problem(HttpStatusCode.NotFound);

        Assert.Equal("There is no policy named nosuch.", problem["detail"].Str());
    }
}
