using System.Net;
using Lethe.Firewall.Nft;
using static Lethe.EndToEnd.Tests.Nft.NftScripts;

namespace Lethe.EndToEnd.Tests.Nft;

/// <summary>The kernel's nft accepts what the renderer writes, for a policy that uses every rule kind.</summary>
public sealed class NftKernelCheckTests
{
    private static readonly Lethe.Domain.Snapshots.SnapshotContent Varied = Policy(
        ("work", ["10.137.0.5", "fd00:137::5"],
        [
            ("lab", "action=accept dst4=192.0.2.0/24 proto=tcp dstports=80-443"),
            ("one-port", "action=accept dst4=192.0.2.9/32 proto=udp dstports=123"),
            ("host-bits", "action=drop dst4=10.1.2.3/8"),
            ("v6-web", "action=accept dst6=2001:db8::/32 proto=tcp dstports=443"),
            ("v6-block", "action=drop dst6=2a00:1450:4000::/37 proto=tcp"),
            ("ping", "action=accept proto=icmp icmptype=8"),
            ("ping6", "action=accept proto=icmp icmptype=128"),
            ("dns", "action=accept specialtarget=dns"),
            ("dns-tcp", "action=drop proto=tcp specialtarget=dns"),
            ("web", "action=accept dsthost=web.example proto=tcp dstports=443"),
            ("unresolved", "action=accept dsthost=missing.example"),
            ("ssh", "action=reject proto=tcp dstports=22"),
            ("no-udp", "action=reject proto=udp"),
            ("rest", "action=reject dst6=fd00::/8"),
            ("translated", "action=drop dst6=::ffff:0:102:304/128 proto=tcp"),
            ("later", $"action=accept expire={Now + 3600} proto=udp dstports=5000-6000"),
            ("gone", $"action=accept expire={Now - 1} proto=tcp"),
            ("everything", "action=accept"),
        ]),
        ("personal", ["10.137.0.6"],
        [
            ("blocked", "action=drop dsthost=missing.example"),
            ("all", "action=accept"),
        ]),
        ("vault", ["fd00:137::9"], []),
        ("empty-client", [], [("x", "action=accept")]));

    private static NftOptions Full(bool silent) => new()
    {
        NowUnix = Now,
        DnsResolvers = [IPAddress.Parse("10.139.1.1"), IPAddress.Parse("10.139.1.2"), IPAddress.Parse("fd00:139::1")],
        ResolvedHosts = Answers(("web.example", ["198.51.100.7", "198.51.100.8", "2001:db8::7"])),
        UplinkInterface = "eth0",
        ClientInterfaces = new Dictionary<string, IReadOnlyList<string>>
        {
            ["work"] = ["vif-work"],
            ["personal"] = ["vif-p1", "vif-p2"],
            ["empty-client"] = ["vif-empty"],
        },
        UplinkV4 = IPAddress.Parse("192.0.2.1"),
        SilentDrop = silent,
    };

    public static TheoryData<string> Variants => ["interfaces, uplink address, loud", "interfaces, uplink address, silent", "no interfaces", "uplink interface only"];

    [NftTheory]
    [MemberData(nameof(Variants))]
    public async Task nft_accepts_the_rendered_ruleset(string variant)
    {
        var nft = NftCheck.Required;
        var options = variant switch
        {
            "interfaces, uplink address, loud" => Full(false),
            "interfaces, uplink address, silent" => Full(true),
            "no interfaces" => new NftOptions { NowUnix = Now, DnsResolvers = [IPAddress.Parse("10.139.1.1")] },
            _ => new NftOptions { NowUnix = Now, UplinkInterface = "uplink0" },
        };
        var script = NftRenderer.Render(Varied, options);

        var (code, error) = await NftCheck.Check(nft, script);

        Assert.True(code == 0, $"nft -c refused the ruleset:\n{error}\n{script}");
    }

    [NftFact]
    public async Task nft_accepts_the_ruleset_of_a_policy_without_clients_or_rules()
    {
        var nft = NftCheck.Required;
        foreach (var content in new[] { Policy(), Policy(("bare", [], [])), Work() })
        {
            var script = NftRenderer.Render(content, new NftOptions { NowUnix = Now });

            var (code, error) = await NftCheck.Check(nft, script);

            Assert.True(code == 0, $"nft -c refused the ruleset:\n{error}\n{script}");
        }
    }

    [NftFact]
    public async Task nft_check_does_refuse_a_broken_ruleset()
    {
        var nft = NftCheck.Required;
        var script = NftRenderer.Render(Varied, Full(false)).Replace("icmp type 8", "icmp type eight", StringComparison.Ordinal);

        var (code, error) = await NftCheck.Check(nft, script);

        Assert.NotEqual(0, code);
        Assert.Contains("eight", error);
    }
}
