using System.Security.Cryptography;
using System.Text;
using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;
using static Lethe.Domain.Tests.Snapshots;

namespace Lethe.Domain.Tests;

public class SnapshotVerifierTests
{
    private static SnapshotVerificationException Refused(byte[] file, string pem) =>
        Assert.Throws<SnapshotVerificationException>(() => SnapshotVerifier.Verify(file, pem));

    [Fact]
    public void a_sealed_snapshot_verifies_with_its_key_and_gives_back_the_policy()
    {
        using var key = NewKey();
        var sealedSnapshot = Seal(key);

        var verified = SnapshotVerifier.Verify(SnapshotCodec.ToFile(sealedSnapshot), Pem(key));

        Assert.Equal(sealedSnapshot, verified.Envelope);
        Assert.Equal(("p", 1, 42L, KeyIds.Of(key)), (verified.Envelope.Policy, verified.Envelope.Version, verified.Envelope.LogPosition, verified.Envelope.KeyId));
        Assert.Equal(["web", "dns"], verified.Content.Clients.Single().Rules.Select(r => r.Id));
        Assert.Equal(Convert.FromBase64String(sealedSnapshot.Content), verified.ContentBytes);
    }

    [Fact]
    public void a_signed_rule_this_build_cannot_read_is_refused_naming_the_client_and_rule()
    {
        using var key = NewKey();
        // What a newer control plane could sign: a rule key this build does not know.
        var valid = SnapshotCodec.FromDraft("p", SampleDraft());
        var newer = valid with { Clients = [valid.Clients[0] with { Rules = [new SnapshotRule("r-new", "action=accept quic=yes")] }] };
        var sealedSnapshot = SnapshotSealer.Seal(SnapshotCodec.ToBytes(newer), "p", 1, 42, SealedAt, KeyIds.Of(key), data => Sign(key, data));

        var refused = Refused(SnapshotCodec.ToFile(sealedSnapshot), Pem(key));

        Assert.Contains("cannot read", refused.Message);
        Assert.Contains("client work, rule r-new", refused.Message);
    }

    [Fact]
    public void a_signed_client_address_this_build_cannot_read_is_refused()
    {
        using var key = NewKey();
        var draft = new DraftContent([new ClientDraft("work", ["10.137.0.300"], [new DraftRule("web", "action=accept")])], []);

        Assert.Contains("client work: '10.137.0.300' is not an address", Refused(File(key, draft), Pem(key)).Message);
    }

    [Theory]
    [InlineData("clients", "two clients are named 'work'")]
    [InlineData("rules in one client", "client 'work' holds two rules with id 'r-1'")]
    [InlineData("rules in two clients", "rule id 'r-1' is in client 'work' and in client 'lab'")]
    public void signed_content_holding_a_client_name_or_rule_id_twice_is_refused_naming_it(string twice, string named)
    {
        // The control plane never seals a policy like this: whoever signed it was not Lethe publishing.
        using var key = NewKey();
        ClientDraft[] clients = twice switch
        {
            "clients" => [Client("work", "10.137.0.5", "r-1"), Client("work", "10.137.0.6", "r-2")],
            "rules in one client" => [Client("work", "10.137.0.5", "r-1", "r-2", "r-1")],
            // A rule id is the policy's, not the client's: the control plane refuses one another client holds.
            _ => [Client("work", "10.137.0.5", "r-1"), Client("lab", "10.137.0.6", "r-2", "r-1")],
        };

        Assert.Equal($"the signed policy is not one a control plane seals: {named}",
            Refused(File(key, new DraftContent(clients, [])), Pem(key)).Message);
    }

    [Fact]
    public void a_duplicate_name_of_63_characters_is_quoted_whole()
    {
        using var key = NewKey();
        var name = new string('w', 63);
        var draft = new DraftContent([Client(name, "10.137.0.5", "r-1"), Client(name, "10.137.0.6", "r-2")], []);

        Assert.EndsWith($"two clients are named '{name}'", Refused(File(key, draft), Pem(key)).Message);
    }

    [Theory]
    [InlineData("10.137.0.5", "10.137.0.5", "address 10.137.0.5 belongs to client work and to client lab")]
    // One address in two spellings is still one machine.
    [InlineData("2001:db8::5", "2001:db8:0:0::5", "address 2001:db8::5 belongs to client work and to client lab")]
    public void signed_content_giving_one_address_to_two_clients_is_refused_naming_both(string work, string lab, string named)
    {
        // The firewall would judge that machine by whichever client came first, and answer both at one address.
        using var key = NewKey();
        var draft = new DraftContent([Client("work", work, "r-1"), Client("lab", lab, "r-2")], []);

        Assert.Equal($"the signed policy is not one a control plane seals: {named}", Refused(File(key, draft), Pem(key)).Message);
    }

    [Fact]
    public void signed_content_giving_one_client_an_address_twice_is_refused()
    {
        using var key = NewKey();
        var draft = new DraftContent([new ClientDraft("work", ["10.137.0.5", "10.137.0.6", "10.137.0.5"], [new DraftRule("r-1", "action=accept")])], []);

        Assert.EndsWith("client work holds address 10.137.0.5 twice", Refused(File(key, draft), Pem(key)).Message);
    }

    [Theory]
    [InlineData("127.0.0.1", "unspecified and loopback addresses are never forwarded to")]
    [InlineData("224.0.0.7", "multicast addresses are never forwarded to")]
    [InlineData("fe80::5", "multicast and link-local addresses are never forwarded to")]
    [InlineData("::ffff:10.137.0.5", "it is 10.137.0.5 written as IPv6; give the IPv4 address")]
    public void a_signed_client_address_the_control_plane_refuses_a_client_is_refused(string address, string why)
    {
        using var key = NewKey();
        var draft = new DraftContent([Client("work", address, "r-1")], []);

        Assert.EndsWith($"client work has address {System.Net.IPAddress.Parse(address)}: {why}", Refused(File(key, draft), Pem(key)).Message);
    }

    [Fact]
    public void clients_with_addresses_of_their_own_in_both_families_verify()
    {
        using var key = NewKey();
        var draft = new DraftContent(
            [new ClientDraft("work", ["10.137.0.5", "2001:db8::5"], [new DraftRule("r-1", "action=accept")]),
             new ClientDraft("lab", ["10.137.0.6", "2001:db8::6"], [new DraftRule("r-2", "action=accept")])], []);

        var verified = SnapshotVerifier.Verify(File(key, draft), Pem(key));

        Assert.Equal(["10.137.0.6", "2001:db8::6"], verified.Content.Clients[1].Addresses);
    }

    private static ClientDraft Client(string name, string address, params string[] ruleIds) =>
        new(name, [address], ruleIds.Select(id => new DraftRule(id, "action=accept")).ToArray());

    [Theory]
    [InlineData("", "it has no clients list")]
    [InlineData(",\"clients\":null", "it has no clients list")]
    [InlineData(",\"clients\":[null]", "client 1 of 1 is null")]
    [InlineData(",\"clients\":[{\"name\":\"work\",\"rules\":[]}]", "client work has no addresses list")]
    [InlineData(",\"clients\":[{\"name\":\"work\",\"addresses\":[]}]", "client work has no rules list")]
    [InlineData(",\"clients\":[{\"name\":\"work\",\"addresses\":[null],\"rules\":[]}]", "client work has a null address")]
    [InlineData(",\"clients\":[{\"name\":\"work\",\"addresses\":[],\"rules\":[null]}]", "client work has a null rule")]
    [InlineData(",\"clients\":[{\"name\":\"work\",\"addresses\":[],\"rules\":[{\"id\":\"web\"}]}]", "client work, rule web: no rule text")]
    public void signed_content_that_leaves_out_a_list_or_entry_is_refused_naming_it(string clients, string named)
    {
        // What no control plane of this version seals, but a newer one might (leaving out empty lists).
        using var key = NewKey();
        var content = Encoding.UTF8.GetBytes($"{{\"format\":\"lethe.policy/1\",\"policy\":\"p\"{clients}}}");
        var sealedSnapshot = SnapshotSealer.Seal(content, "p", 1, 1, SealedAt, KeyIds.Of(key), data => Sign(key, data));

        Assert.Equal($"the signed policy is incomplete: {named}", Refused(SnapshotCodec.ToFile(sealedSnapshot), Pem(key)).Message);
    }

    [Theory]
    [InlineData("work\n}\ntable ip evil {", "web", "a client name")]
    [InlineData("work\"} 1\nlethe_up 1", "web", "a client name")]
    [InlineData("work", "r-1\nflush ruleset", "client work: a rule id")]
    public void a_signed_name_or_id_with_characters_the_control_plane_refuses_is_refused(string client, string ruleId, string named)
    {
        using var key = NewKey();
        // Names reach logs, metric labels and the nft script; a line break or quote there could become a command.
        var draft = new DraftContent([new ClientDraft(client, ["10.137.0.5"], [new DraftRule(ruleId, "action=accept")])], []);

        var refused = Refused(File(key, draft), Pem(key));

        Assert.Contains("cannot read", refused.Message);
        Assert.Contains(named, refused.Message);
        Assert.DoesNotContain("\n", refused.Message);
    }

    [Theory]
    [InlineData("1.3.132.0.10")] // secp256k1
    [InlineData("1.3.36.3.3.2.8.1.1.7")] // brainpoolP256r1
    public void a_trusted_key_on_another_256_bit_curve_is_refused(string curveOid)
    {
        using var key = NewKey();
        using var other = ECDsa.Create(ECCurve.CreateFromValue(curveOid));

        var refused = Refused(SnapshotCodec.ToFile(Seal(key)), other.ExportSubjectPublicKeyInfoPem());

        Assert.Contains("on another curve; Lethe signs with ECDSA P-256", refused.Message);
    }

    [Fact]
    public void a_private_key_given_as_the_trusted_key_is_refused()
    {
        using var key = NewKey();

        var refused = Refused(SnapshotCodec.ToFile(Seal(key)), key.ExportPkcs8PrivateKeyPem());

        Assert.Contains("holds a private key; give the public key", refused.Message);
    }

    [Fact]
    public void a_flipped_content_byte_is_refused()
    {
        using var key = NewKey();
        var sealedSnapshot = Seal(key);
        var tampered = sealedSnapshot with { Content = Convert.ToBase64String(Flip(Convert.FromBase64String(sealedSnapshot.Content), 20)) };

        Assert.Contains("hash mismatch", Refused(SnapshotCodec.ToFile(tampered), Pem(key)).Message);
    }

    [Fact]
    public void a_flipped_content_byte_with_a_recomputed_hash_is_refused_by_the_signature()
    {
        using var key = NewKey();
        var sealedSnapshot = Seal(key);
        var content = Flip(Convert.FromBase64String(sealedSnapshot.Content), 20);
        var tampered = sealedSnapshot with { Content = Convert.ToBase64String(content), ContentSha256 = SnapshotCodec.Sha256Hex(content) };

        Assert.Contains("signature does not verify", Refused(SnapshotCodec.ToFile(tampered), Pem(key)).Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(63)]
    public void an_altered_signature_is_refused(int index)
    {
        using var key = NewKey();
        var sealedSnapshot = Seal(key);
        var tampered = sealedSnapshot with { Signature = Convert.ToBase64String(Flip(Convert.FromBase64String(sealedSnapshot.Signature), index)) };

        Assert.Contains("signature does not verify", Refused(SnapshotCodec.ToFile(tampered), Pem(key)).Message);
    }

    [Fact]
    public void a_truncated_signature_is_refused()
    {
        using var key = NewKey();
        var sealedSnapshot = Seal(key);
        var tampered = sealedSnapshot with { Signature = Convert.ToBase64String(Convert.FromBase64String(sealedSnapshot.Signature)[..32]) };

        Assert.Contains("signature does not verify", Refused(SnapshotCodec.ToFile(tampered), Pem(key)).Message);
    }

    [Fact]
    public void a_snapshot_verified_with_another_key_is_refused_naming_both_key_ids()
    {
        using var key = NewKey();
        using var other = NewKey();

        var refused = Refused(File(key), Pem(other));

        Assert.Contains(KeyIds.Of(key), refused.Message);
        Assert.Contains(KeyIds.Of(other), refused.Message);
    }

    [Fact]
    public void a_snapshot_signed_by_another_key_under_the_trusted_key_id_is_refused()
    {
        using var trusted = NewKey();
        using var forger = NewKey();
        var forged = Seal(forger) with { KeyId = KeyIds.Of(trusted) };

        Assert.Contains("signature does not verify", Refused(SnapshotCodec.ToFile(forged), Pem(trusted)).Message);
    }

    [Fact]
    public void a_trusted_key_that_is_not_p256_is_refused()
    {
        using var key = NewKey();
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        Assert.Contains("P-256", Refused(File(key), p384.ExportSubjectPublicKeyInfoPem()).Message);
    }

    [Fact]
    public void a_trusted_key_that_is_not_an_ec_key_is_refused()
    {
        using var key = NewKey();
        using var rsa = RSA.Create(2048);

        Assert.Contains("trusted key", Refused(File(key), rsa.ExportSubjectPublicKeyInfoPem()).Message);
    }

    [Fact]
    public void a_trusted_key_naming_a_curve_the_platform_does_not_know_is_refused()
    {
        // One flipped bit in a key file's curve OID (1.2.840.10045.3.1.7 read as ...29.1.7): .NET throws
        // PlatformNotSupportedException for it, which reached the firewall as a stack trace.
        using var key = NewKey();
        var der = key.ExportSubjectPublicKeyInfo();
        var oid = der.AsSpan().IndexOf(new byte[] { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 });
        der[oid + 5] = 0x1D;
        var pem = new string(PemEncoding.Write("PUBLIC KEY", der));

        var refused = Refused(File(key), pem);

        Assert.Equal("the trusted key names a curve this platform does not know; Lethe signs with ECDSA P-256", refused.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a key")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")]
    public void a_trusted_key_that_is_not_a_pem_public_key_is_refused(string pem)
    {
        using var key = NewKey();

        Assert.Contains("trusted key", Refused(File(key), pem).Message);
    }

    [Fact]
    public void what_an_unverified_file_says_is_quoted_without_its_control_characters()
    {
        // Anyone who answers for a snapshot URL writes these fields; the refusal reaches a log and a terminal.
        using var key = NewKey();
        var sealedOne = Seal(key);

        var format = Refused(SnapshotCodec.ToFile(sealedOne with { Format = "lethe\u001b]0;owned\u0007/9\r\n" }), Pem(key)).Message;
        var hash = Refused(SnapshotCodec.ToFile(sealedOne with { ContentSha256 = "ab\u001b[2J\u202Ecd" }), Pem(key)).Message;
        var keyId = Refused(SnapshotCodec.ToFile(sealedOne with { KeyId = "\u009b31m\u2028k" }), Pem(key)).Message;

        Assert.Contains("unknown snapshot format 'lethe\\x1B]0;owned\\x07/9\\x0D\\x0A'", format);
        Assert.Contains("the file says ab\\x1B[2J\\u202Ecd,", hash);
        Assert.Contains("signed with key \\x9B31m\\u2028k,", keyId);
    }

    [Theory]
    [InlineData("{\"format\":n\u001b]0;owned\u0007}", "\\x1B]0;owned\\x07")] // the reader quotes a bad literal as it found it
    [InlineData("{\"x\\u001b[2J\\u2028\":[1,", "\\x1B[2J\\u2028")] // and names where it stopped by the property's name
    public void what_the_json_reader_quotes_from_an_unverified_file_is_shown_without_its_control_characters(string text, string shown)
    {
        using var key = NewKey();

        var refused = Refused(Encoding.UTF8.GetBytes(text), Pem(key)).Message;

        Assert.StartsWith("not a Lethe snapshot file: ", refused);
        Assert.Contains(shown, refused);
        Assert.True(TerminalText.IsPlain(refused), refused);
    }

    [Fact]
    public void what_the_json_reader_quotes_from_signed_content_is_shown_without_its_control_characters()
    {
        using var key = NewKey();
        var content = Encoding.UTF8.GetBytes("{\"format\":\"lethe.policy/1\",\"policy\":\"p\",\"clients\":[n\u001b[2J]}");
        var sealedSnapshot = SnapshotSealer.Seal(content, "p", 1, 1, SealedAt, KeyIds.Of(key), data => Sign(key, data));

        var refused = Refused(SnapshotCodec.ToFile(sealedSnapshot), Pem(key)).Message;

        Assert.StartsWith("the signed content is not a policy: ", refused);
        Assert.Contains("\\x1B[2J", refused);
        Assert.True(TerminalText.IsPlain(refused), refused);
    }

    [Theory]
    [InlineData("lethe.snapshot/3")]
    [InlineData("LETHE.SNAPSHOT/1")]
    public void an_unknown_snapshot_format_is_refused_naming_it(string format)
    {
        using var key = NewKey();

        var refused = Refused(SnapshotCodec.ToFile(Seal(key) with { Format = format }), Pem(key));

        Assert.Contains($"unknown snapshot format '{format}'", refused.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"format\":")]
    [InlineData("[1,2,3]")]
    [InlineData("null")]
    [InlineData("42")]
    public void a_file_that_is_not_a_snapshot_json_is_refused(string text)
    {
        using var key = NewKey();

        Assert.Contains("not a Lethe snapshot file", Refused(Encoding.UTF8.GetBytes(text), Pem(key)).Message);
    }

    [Fact]
    public void an_empty_json_object_is_refused()
    {
        using var key = NewKey();

        Assert.Contains("not a Lethe snapshot (no format field)", Refused("{}"u8.ToArray(), Pem(key)).Message);
    }

    [Fact]
    public void content_or_signature_that_is_not_base64_is_refused()
    {
        using var key = NewKey();

        Assert.Contains("base64", Refused(SnapshotCodec.ToFile(Seal(key) with { Signature = "***" }), Pem(key)).Message);
        Assert.Contains("base64", Refused(SnapshotCodec.ToFile(Seal(key) with { Content = "***" }), Pem(key)).Message);
    }

    [Fact]
    public void a_signed_envelope_naming_another_policy_than_its_content_is_refused()
    {
        using var key = NewKey();
        var content = SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", SampleDraft()));
        var sealedSnapshot = SnapshotSealer.Seal(content, "q", 1, 1, SealedAt, KeyIds.Of(key), data => Sign(key, data));

        var refused = Refused(SnapshotCodec.ToFile(sealedSnapshot), Pem(key));

        Assert.Contains("'q'", refused.Message);
        Assert.Contains("'p'", refused.Message);
    }

    public static TheoryData<string> EnvelopeFields => ["version", "log position", "time", "policy"];

    /// <summary>The content has no version, so only the envelope's signature keeps an old snapshot from passing for a newer one.</summary>
    [Theory]
    [MemberData(nameof(EnvelopeFields))]
    public void an_envelope_field_changed_after_sealing_is_refused_by_the_signature(string field)
    {
        using var key = NewKey();
        var sealedSnapshot = Seal(key);
        var tampered = field switch
        {
            "version" => sealedSnapshot with { Version = sealedSnapshot.Version + 100 },
            "log position" => sealedSnapshot with { LogPosition = sealedSnapshot.LogPosition + 1 },
            "time" => sealedSnapshot with { SealedAt = sealedSnapshot.SealedAt.AddDays(1) },
            _ => sealedSnapshot with { Policy = "q" },
        };

        Assert.Contains("signature does not verify", Refused(SnapshotCodec.ToFile(tampered), Pem(key)).Message);
    }

    [Fact]
    public void a_snapshot_of_the_format_whose_envelope_was_not_signed_is_refused_with_the_reason()
    {
        using var key = NewKey();
        var content = SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", SampleDraft()));
        // What format 1 sealed: a valid signature over the content bytes alone.
        var old = Seal(key) with { Format = SealedSnapshot.UnsignedEnvelopeFormat, Signature = Convert.ToBase64String(Sign(key, content)) };

        var refused = Refused(SnapshotCodec.ToFile(old), Pem(key));

        Assert.Contains("'lethe.snapshot/1' is no longer accepted", refused.Message);
        Assert.Contains("version and time were not signed", refused.Message);
    }

    [Fact]
    public void the_sealed_time_is_kept_to_whole_milliseconds_and_survives_the_file()
    {
        using var key = NewKey();
        var content = SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", SampleDraft()));
        var odd = new DateTimeOffset(2026, 5, 1, 14, 0, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567);
        var sealedSnapshot = SnapshotSealer.Seal(content, "p", 3, 9, odd, KeyIds.Of(key), data => Sign(key, data));

        var verified = SnapshotVerifier.Verify(SnapshotCodec.ToFile(sealedSnapshot), Pem(key));

        Assert.Equal(new DateTimeOffset(2026, 5, 1, 12, 0, 0, 123, TimeSpan.Zero), verified.Envelope.SealedAt);
        Assert.Equal(3, verified.Envelope.Version);
    }

    [Theory]
    [InlineData("2026-05-01T12:00:00.0009999+00:00")]
    [InlineData("2026-05-01T12:00:00.0001Z")]
    [InlineData("2026-05-01T14:00:00+02:00")]
    public void a_time_finer_than_the_signature_covers_or_in_another_offset_verifies_as_the_signed_time(string written)
    {
        // The signature covers whole milliseconds since the epoch: ticks under them, or another offset for the
        // same instant, could be written into the file without breaking it. What verifies is what was signed.
        using var key = NewKey();
        var sealedSnapshot = Seal(key);
        var file = Encoding.UTF8.GetString(SnapshotCodec.ToFile(sealedSnapshot)).Replace("\"2026-05-01T12:00:00+00:00\"", $"\"{written}\"");
        Assert.Contains(written, file);

        var verified = SnapshotVerifier.Verify(Encoding.UTF8.GetBytes(file), Pem(key));

        Assert.Equal(SealedAt.UtcTicks, verified.Envelope.SealedAt.UtcTicks);
        Assert.Equal(TimeSpan.Zero, verified.Envelope.SealedAt.Offset);
    }

    [Fact]
    public void signed_content_that_is_not_a_policy_is_refused()
    {
        using var key = NewKey();
        var content = "{\"format\":\"lethe.policy/9\",\"policy\":\"p\",\"clients\":[]}"u8.ToArray();
        var sealedSnapshot = SnapshotSealer.Seal(content, "p", 1, 1, SealedAt, KeyIds.Of(key), data => Sign(key, data));

        Assert.Contains("unknown policy format 'lethe.policy/9'", Refused(SnapshotCodec.ToFile(sealedSnapshot), Pem(key)).Message);
    }

    [Fact]
    public void a_trusted_key_file_holding_two_public_keys_is_refused_saying_so()
    {
        // Mid-rotation, the old and the new public key in one file, as authorized_keys holds several.
        using var key = NewKey();
        using var next = NewKey();

        var refused = Refused(File(key), Pem(key) + "\n" + Pem(next));

        Assert.Equal("the trusted key file holds 2 public keys; a firewall trusts one, the control plane's current lethe-signing.pub", refused.Message);
    }
}
