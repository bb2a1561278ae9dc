using System.Net;
using Lethe.Domain.Snapshots;
using Lethe.Infrastructure.Marten;
using Lethe.Infrastructure.Signing;
using Lethe.TestSupport.Host;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Lethe.Control.Tests;

/// <summary>
/// After the signing key is rotated, firewalls that trust only the new key must find a latest
/// snapshot it signed, without anyone inventing a rule change to get one.
/// </summary>
public class KeyRotationTests
{
    [Fact]
    public async Task after_a_key_rotation_the_unchanged_draft_is_sealed_again_with_the_new_key_and_only_once()
    {
        var first = await ControlPlaneHost.Start();
        var newKeys = Path.Combine(Path.GetTempPath(), "lethe-test-keys-" + Guid.NewGuid().ToString("N"));
        ControlPlaneHost? second = null;
        try
        {
            using var editor = first.Client();
            await editor.CreatePolicyWithWork("rotated");
            await editor.AddRule("rotated", "work", "action=accept proto=tcp dstports=443");
            var v1 = await editor.Publish("rotated");
            await first.Stop();

            var (newKeyId, _, _) = SigningKeyFiles.Generate(newKeys);
            second = await ControlPlaneHost.Start(first.Database, keyDir: newKeys);
            using var again = second.Client();
            var v2 = await again.Publish("rotated");

            Assert.Equal(2, v2["version"]!.GetValue<int>());
            Assert.Equal(newKeyId, v2["keyId"].Str());
            Assert.NotEqual(v1["keyId"].Str(), v2["keyId"].Str());
            Assert.Equal(v1["contentSha256"].Str(), v2["contentSha256"].Str());
            using var third = await again.Post("/policies/rotated/publish", new { reason = "nothing new" });
            var problem = await third.Problem(HttpStatusCode.Conflict);
            Assert.Contains("identical to version 2", problem["detail"].Str());
        }
        finally
        {
            await StopAndRemoveKeys(first, second, newKeys);
        }
    }

    [Fact]
    public async Task the_history_of_a_publish_that_reseals_with_a_new_key_says_so()
    {
        var first = await ControlPlaneHost.Start();
        var newKeys = Path.Combine(Path.GetTempPath(), "lethe-test-keys-" + Guid.NewGuid().ToString("N"));
        ControlPlaneHost? second = null;
        try
        {
            using var editor = first.Client();
            await editor.CreatePolicyWithWork("rekeyed");
            await editor.AddRule("rekeyed", "work", "action=accept proto=tcp dstports=443");
            await editor.Publish("rekeyed");
            await editor.AddRule("rekeyed", "work", "action=drop");
            var v2 = await editor.Publish("rekeyed");
            await first.Stop();

            var (newKeyId, _, _) = SigningKeyFiles.Generate(newKeys);
            second = await ControlPlaneHost.Start(first.Database, keyDir: newKeys);
            using var again = second.Client();
            await again.Publish("rekeyed");
            await again.Post("/policies/rekeyed/rollback", new { toVersion = 1, reason = "back" }).Ok();

            var summaries = (await again.History("rekeyed")).Where(e => e!["version"] is not null).Select(e => e!["summary"].Str()).ToArray();
            Assert.Equal(4, summaries.Length);
            Assert.DoesNotContain("new key", summaries[0]);
            Assert.DoesNotContain("new key", summaries[1]);
            Assert.Equal($"published version 3 ({v2["contentSha256"].Str()[..12]}), signed with new key {newKeyId}", summaries[2]);
            Assert.Equal("rolled back to version 1 as version 4", summaries[3]);
        }
        finally
        {
            await StopAndRemoveKeys(first, second, newKeys);
        }
    }

    [Fact]
    public async Task a_latest_version_sealed_in_the_format_firewalls_no_longer_boot_is_sealed_again_unchanged()
    {
        await using var host = await ControlPlaneHost.Start();
        using var editor = host.Client();
        await editor.CreatePolicyWithWork("legacy");
        await editor.AddRule("legacy", "work", "action=accept proto=tcp dstports=443");
        var v1 = await editor.Publish("legacy");
        // As a database written by a build before lethe.snapshot/2 holds it.
        var store = host.App.Services.GetRequiredService<IDocumentStore>();
        await using (var session = store.LightweightSession())
        {
            var doc = await session.LoadAsync<SnapshotDocument>(SnapshotDocument.IdFor("legacy", 1));
            doc!.Sealed = doc.Sealed with { Format = SealedSnapshot.UnsignedEnvelopeFormat };
            session.Store(doc);
            await session.SaveChangesAsync();
        }

        var v2 = await editor.Publish("legacy");
        using var again = await editor.Post("/policies/legacy/publish", new { reason = "nothing new" });

        Assert.Equal(2, v2["version"]!.GetValue<int>());
        Assert.Equal(v1["contentSha256"].Str(), v2["contentSha256"].Str());
        var file = await editor.GetByteArrayAsync("/policies/legacy/snapshots/latest");
        var pem = await File.ReadAllTextAsync(host.PublicKeyPath);
        Assert.Equal(2, SnapshotVerifier.Verify(file, pem).Envelope.Version);
        Assert.Contains("identical to version 2", (await again.Problem(HttpStatusCode.Conflict))["detail"].Str());
    }

    /// <summary>Stops whichever host runs last (the second shares the first's database) and removes both key directories.</summary>
    private static async Task StopAndRemoveKeys(ControlPlaneHost first, ControlPlaneHost? second, string newKeys)
    {
        if (second is not null)
        {
            await second.DisposeAsync();
        }
        else
        {
            await first.DisposeAsync();
        }
        foreach (var keys in new[] { first.KeyDirectory, newKeys })
        {
            if (Directory.Exists(keys))
            {
                Directory.Delete(keys, recursive: true);
            }
        }
    }
}
