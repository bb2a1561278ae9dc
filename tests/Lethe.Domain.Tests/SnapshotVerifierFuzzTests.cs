using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;
using static Lethe.Domain.Tests.SnapshotFuzz;
using static Lethe.Domain.Tests.Snapshots;

namespace Lethe.Domain.Tests;

/// <summary>
/// A snapshot file, or a URL's answer, is untrusted bytes until its signature checks: mutated files
/// and keys are refused with a reason or give back exactly what was sealed, never another exception
/// and never a snapshot nobody sealed. Seeded, so every run is the same; LETHE_SNAPSHOT_FUZZ_INPUTS
/// scales the input counts for a longer run off CI (see <see cref="SnapshotFuzz"/>).
/// </summary>
public class SnapshotVerifierFuzzTests
{
    [Fact]
    public void mutated_snapshot_files_are_refused_with_a_reason_or_give_back_what_was_sealed()
    {
        using var key = NewKey();
        var sealedOne = Seal(key);
        var file = SnapshotCodec.ToFile(sealedOne);
        var pem = Pem(key);
        var random = new Random(Seed);
        var accepted = 0;
        var inputs = 1500 * Scale;
        for (var i = 0; i < inputs; i++)
        {
            var (bytes, what) = (file, "");
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                var (next, step) = Mutate(random, bytes);
                (bytes, what) = (next, what + step + "; ");
            }
            if (Check(bytes, pem, $"input {i}: {what}", sealedOne) is not null)
            {
                accepted++;
            }
        }
        // A sanity check on the mutations: some (trailing whitespace, say) leave the file as good as it was.
        Assert.InRange(accepted, 1, inputs - 1);
    }

    [Fact]
    public void fields_of_two_snapshots_signed_with_one_key_are_never_accepted_mixed()
    {
        // Both genuine: whoever answers for a URL may hold many, and splice them field by field, or
        // give a field twice (the JSON reader keeps the last), hoping the signature is checked on one
        // and the other is booted.
        using var key = NewKey();
        var a = Seal(key);
        var b = SnapshotSealer.Seal(SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", WiderDraft())), "p", 2, 43,
            SealedAt.AddHours(1), KeyIds.Of(key), data => Sign(key, data));
        var fieldsA = Fields(a);
        var fieldsB = Fields(b);
        var pem = Pem(key);
        var random = new Random(Seed);
        var seen = new HashSet<SealedSnapshot>();
        var inputs = 1000 * Scale;
        for (var i = 0; i < inputs; i++)
        {
            var fields = new List<(string Name, string Value)>();
            for (var f = 0; f < fieldsA.Count; f++)
            {
                var copies = random.Next(10) switch { 0 => 0, 1 => 2, _ => 1 };
                for (var c = 0; c < copies; c++)
                {
                    fields.Add(random.Next(2) == 0 ? fieldsA[f] : fieldsB[f]);
                }
            }
            if (random.Next(3) == 0)
            {
                fields = [.. fields.OrderBy(_ => random.Next())];
            }
            var file = Encoding.UTF8.GetBytes("{" + string.Join(",", fields.Select(f => $"\"{f.Name}\":{f.Value}")) + "}");
            if (Check(file, pem, $"input {i}: {Encoding.UTF8.GetString(file)}", a, b) is { } accepted)
            {
                seen.Add(accepted);
            }
        }
        Assert.Equal(2, seen.Count); // both came through whole at times, so the splices were real
    }

    public static TheoryData<string, string> OddValues => new()
    {
        // Numbers past their type, or not integers.
        { "version", "99999999999999999999999" }, { "version", "1e400" }, { "version", "1.0" }, { "version", "-0" }, { "version", "\"1\"" },
        { "version", "2147483648" }, { "logPosition", "9223372036854775808" }, { "logPosition", "-9223372036854775809" }, { "logPosition", "1E2" },
        // Times at and past the ends of what a DateTimeOffset holds.
        { "sealedAt", "\"0001-01-01T00:00:00+14:00\"" }, { "sealedAt", "\"9999-12-31T23:59:59.9999999-14:00\"" }, { "sealedAt", "\"10000-01-01T00:00:00Z\"" },
        { "sealedAt", "\"2026-02-30T00:00:00Z\"" }, { "sealedAt", "\"2026-05-01T12:00:00+24:00\"" }, { "sealedAt", "1777636800000" }, { "sealedAt", "\"\"" },
        // Strings that are not strings, or not text.
        { "format", "null" }, { "format", "[\"lethe.snapshot/2\"]" }, { "format", "{\"a\":1}" }, { "policy", "\"\\ud800\"" }, { "keyId", "\"\\u0000\"" },
        { "contentSha256", "null" }, { "signature", "null" }, { "content", "null" }, { "content", "\"\"" }, { "signature", "\"\"" },
        { "content", "true" }, { "policy", "1" },
        // Nesting as deep as a reader could be asked to go.
        { "format", new string('[', 100_000) }, { "content", new string('[', 65) + new string(']', 65) }, { "policy", string.Concat(Enumerable.Repeat("{\"a\":", 70)) + "1" + new string('}', 70) },
    };

    [Theory]
    [MemberData(nameof(OddValues))]
    public void an_envelope_field_of_the_wrong_kind_or_out_of_range_is_refused_with_a_reason(string field, string value)
    {
        using var key = NewKey();
        var sealedOne = Seal(key);
        var file = Encoding.UTF8.GetBytes("{" + string.Join(",", Fields(sealedOne).Select(f => $"\"{f.Name}\":{(f.Name == field ? value : f.Value)}")) + "}");

        Assert.Null(Check(file, Pem(key), $"{field}: {value[..Math.Min(60, value.Length)]}", sealedOne));
    }

    [Theory]
    [InlineData("content", 1)] // a base64 length that is no length at all
    [InlineData("content", 4)] // a whole group more: other content, so another hash
    [InlineData("content", -4)]
    [InlineData("signature", 4)]
    [InlineData("signature", -4)]
    [InlineData("signature", 2)]
    public void a_content_or_signature_of_another_length_is_refused(string field, int change)
    {
        using var key = NewKey();
        var sealedOne = Seal(key);
        var value = field == "content" ? sealedOne.Content : sealedOne.Signature;
        var changed = change > 0 ? value + new string('A', change) : value[..^-change];
        var tampered = field == "content" ? sealedOne with { Content = changed } : sealedOne with { Signature = changed };

        Assert.Null(Check(SnapshotCodec.ToFile(tampered), Pem(key), $"{field} {change:+0;-0}", sealedOne));
    }

    [Fact]
    public void mutated_trusted_keys_are_refused_with_a_reason_or_are_the_same_key()
    {
        using var key = NewKey();
        var sealedOne = Seal(key);
        var file = SnapshotCodec.ToFile(sealedOne);
        var pemBytes = Encoding.UTF8.GetBytes(Pem(key));
        var random = new Random(Seed);
        var accepted = 0;
        var inputs = 1500 * Scale;
        for (var i = 0; i < inputs; i++)
        {
            var (bytes, what) = Mutate(random, pemBytes);
            if (random.Next(8) == 0)
            {
                // As Windows PowerShell 5's redirection writes a file: UTF-16 with its mark.
                bytes = [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(bytes))];
                what += ", as UTF-16";
            }
            var pem = KeyText.Of(bytes, bytes.Length); // the firewall's reading of --trust: never throws on bytes
            if (Check(file, pem, $"key input {i}: {what}", sealedOne) is not null)
            {
                accepted++;
            }
        }
        Assert.InRange(accepted, 1, inputs - 1);
    }

    [Theory]
    [InlineData("-----BEGIN EC PUBLIC KEY-----")]
    [InlineData("-----BEGIN CERTIFICATE-----")]
    [InlineData("-----BEGIN RSA PUBLIC KEY-----")]
    [InlineData("-----BEGIN ENCRYPTED PRIVATE KEY-----")]
    public void a_trusted_key_under_another_pem_label_is_refused_with_a_reason(string label)
    {
        using var key = NewKey();
        var sealedOne = Seal(key);
        var pem = Pem(key).Replace("-----BEGIN PUBLIC KEY-----", label).Replace("-----END PUBLIC KEY-----", label.Replace("BEGIN", "END"));

        Assert.Null(Check(SnapshotCodec.ToFile(sealedOne), pem, label, sealedOne));
    }

    [Fact]
    public void mutated_content_signed_with_the_key_is_refused_with_a_reason_or_is_a_policy_the_firewall_reads()
    {
        // What a control plane's bug, or a newer control plane, could sign: the signature holds, so only
        // the verifier's own checks stand between these bytes and the compiler.
        using var key = NewKey();
        var content = SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", WiderDraft()));
        var pem = Pem(key);
        var random = new Random(Seed);
        var accepted = 0;
        var inputs = 1000 * Scale;
        for (var i = 0; i < inputs; i++)
        {
            var (bytes, what) = Mutate(random, content);
            if (SignedAndChecked(key, pem, bytes, $"content input {i}: {what}") is not null)
            {
                accepted++;
            }
        }
        Assert.InRange(accepted, 1, inputs - 1);
    }

    [Fact]
    public void generated_policies_signed_with_the_key_are_refused_with_a_reason_or_are_policies_the_firewall_reads()
    {
        using var key = NewKey();
        var pem = Pem(key);
        var random = new Random(Seed);
        string[] names = ["work", "a", "x-1_y", "", "Work", "a b", "a\nb", "a\u001b[2J", "\u202Eabc", new string('n', 63), new string('n', 64), "é", "a\"b", "a\\b"];
        string[] addresses = ["10.137.0.10", "fd00:137::10", "10.137.0.300", "", "::", "0.0.0.0", "::ffff:10.0.0.1", "10.0.0.1/24", "fe80::1%eth0", "10.0.0.1\n", "1.2.3.4.5", "٣.1.1.1"];
        string[] parts = ["action=accept", "action=drop", "action=reject", "action=bogus", "proto=tcp", "proto=udp", "proto=icmp", "proto=gre",
            "dstports=443-443", "dstports=0-65535", "dstports=65536-70000", "dstports=99999999999999999999-1", "dstports=5-1", "icmptype=3", "icmptype=300",
            "dst4=10.0.0.0/8", "dst4=10.0.0.0/33", "dst6=fd00::/200", "dst6=::/0", "dsthost=example.org", "dsthost=" + new string('a', 300), "dsthost=a..b",
            "specialtarget=dns", "specialtarget=ntp", "expire=1", "expire=99999999999999999999", "expire=-1", "comment=x", "=", "x=", "action=accept\n", " ", "\t"];
        var accepted = 0;
        var inputs = 600 * Scale;
        for (var i = 0; i < inputs; i++)
        {
            var clients = new JsonArray();
            for (var c = random.Next(4); c > 0; c--)
            {
                var rules = new JsonArray();
                for (var r = random.Next(4); r > 0; r--)
                {
                    var rule = string.Join(random.Next(6) == 0 ? "  " : " ", Enumerable.Range(0, random.Next(1, 5)).Select(_ => parts[random.Next(parts.Length)]));
                    rules.Add(new JsonObject { ["id"] = Pick(random, names), ["rule"] = random.Next(3) == 0 ? rule : "action=accept " + rule });
                }
                var addressList = new JsonArray();
                for (var a = random.Next(3); a > 0; a--)
                {
                    addressList.Add(Pick(random, addresses));
                }
                clients.Add(new JsonObject { ["name"] = Pick(random, names), ["addresses"] = addressList, ["rules"] = rules });
            }
            var policy = new JsonObject { ["format"] = SnapshotContent.CurrentFormat, ["policy"] = "p", ["clients"] = clients };
            var bytes = Encoding.UTF8.GetBytes(policy.ToJsonString());
            if (SignedAndChecked(key, pem, bytes, $"policy input {i}: {policy.ToJsonString()}") is not null)
            {
                accepted++;
            }
        }
        Assert.InRange(accepted, 1, inputs - 1);
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("a\u001b[2Jb")]
    [InlineData("a\u202Eb")]
    public void a_signed_client_over_the_rule_limit_is_refused_on_one_plain_line_whatever_its_name(string name)
    {
        // Past the limit and badly named at once: the reason names the client, which must not break the line it is on.
        using var key = NewKey();
        var rules = Enumerable.Range(0, SnapshotLimits.MaxRulesPerClient + 1).Select(r => new SnapshotRule($"r{r}", "action=accept")).ToArray();
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "p", [new SnapshotClient(name, ["10.137.0.5"], rules)]);

        var refused = Assert.Throws<SnapshotVerificationException>(() => SnapshotVerifier.Verify(SealContent(key, SnapshotCodec.ToBytes(content)), Pem(key)));

        Assert.Contains($"has {SnapshotLimits.MaxRulesPerClient + 1} rules", refused.Message);
        Assert.True(TerminalText.IsPlain(refused.Message), refused.Message);
    }

    [Theory]
    [InlineData("{\"format\":\"lethe.policy/1\\n\\u001b[2J\",\"policy\":\"p\",\"clients\":[]}", "unknown policy format")]
    [InlineData("{\"format\":\"lethe.policy/1\",\"policy\":\"p\",\"clients\":[{\"name\":\"a\\nb\",\"rules\":[]}]}", "has no addresses list")]
    [InlineData("{\"format\":\"lethe.policy/1\",\"policy\":\"p\",\"clients\":[{\"name\":\"w\",\"addresses\":[],\"rules\":[{\"id\":\"r\\u2028\"}]}]}", "no rule text")]
    [InlineData("{\"format\":\"lethe.policy/1\",\"policy\":\"p\",\"clients\":[{\"name\":\"w\",\"addresses\":[\"10.0.0.1\\r\\n\"],\"rules\":[]}]}", "is not an address")]
    public void what_signed_content_holds_is_quoted_on_one_plain_line(string json, string named)
    {
        // Signed, yet by something this build does not know: its reason reaches a log and a terminal as the file's own do.
        using var key = NewKey();

        var refused = Assert.Throws<SnapshotVerificationException>(() => SnapshotVerifier.Verify(SealContent(key, Encoding.UTF8.GetBytes(json)), Pem(key)));

        Assert.Contains(named, refused.Message);
        Assert.True(TerminalText.IsPlain(refused.Message), TerminalText.Safe(refused.Message));
    }

    [Fact]
    public void a_signed_envelope_and_content_naming_other_policies_with_control_characters_are_refused_on_one_plain_line()
    {
        using var key = NewKey();
        var content = Encoding.UTF8.GetBytes("{\"format\":\"lethe.policy/1\",\"policy\":\"p\\u001b[2J\",\"clients\":[]}");
        var sealedOne = SnapshotSealer.Seal(content, "q\nr", 1, 1, SealedAt, KeyIds.Of(key), data => Sign(key, data));

        var refused = Assert.Throws<SnapshotVerificationException>(() => SnapshotVerifier.Verify(SnapshotCodec.ToFile(sealedOne), Pem(key)));

        Assert.Contains("the envelope names policy", refused.Message);
        Assert.True(TerminalText.IsPlain(refused.Message), TerminalText.Safe(refused.Message));
    }

    /// <summary>Seals <paramref name="content"/> with the key and verifies it; an accepted policy must be one the firewall builds a model of.</summary>
    private static SealedSnapshot? SignedAndChecked(System.Security.Cryptography.ECDsa key, string pem, byte[] content, string what)
    {
        var sealedOne = SnapshotSealer.Seal(content, "p", 1, 1, SealedAt, KeyIds.Of(key), data => Sign(key, data));
        if (SnapshotFuzz.VerifiedOrRefused(SnapshotCodec.ToFile(sealedOne), pem, what) is not { } verified)
        {
            return null;
        }
        Assert.True(verified.ContentBytes.AsSpan().SequenceEqual(content), $"{what}: other content bytes came back");
        // What the compiler and nft take first: it must hold for whatever verify lets through.
        var model = SnapshotCodec.ToModel(verified.Content);
        Assert.Equal(verified.Content.Clients.Count, model.Clients.Count);
        return sealedOne;
    }

    private static byte[] SealContent(System.Security.Cryptography.ECDsa key, byte[] content) =>
        SnapshotCodec.ToFile(SnapshotSealer.Seal(content, "p", 1, 1, SealedAt, KeyIds.Of(key), data => Sign(key, data)));

    /// <summary>The envelope's fields in file order, each with its JSON text.</summary>
    private static List<(string Name, string Value)> Fields(SealedSnapshot snapshot)
    {
        using var document = JsonDocument.Parse(SnapshotCodec.ToFile(snapshot));
        return [.. document.RootElement.EnumerateObject().Select(p => (p.Name, p.Value.GetRawText()))];
    }

    private static DraftContent WiderDraft() => new(
        [
            new ClientDraft("work", ["10.137.0.10", "fd00:137::10"],
            [
                new DraftRule("web", "action=accept proto=tcp dstports=443-443"),
                new DraftRule("all", "action=accept"),
            ]),
            new ClientDraft("guest", ["10.137.0.20"], [new DraftRule("dns", "action=accept specialtarget=dns")]),
        ],
        []);

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];
}
