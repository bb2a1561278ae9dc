using System.Net;
using Lethe.Domain.Evaluation;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;
using Lethe.Firewall.Nft;
using static Lethe.EndToEnd.Tests.Nft.NftScripts;

namespace Lethe.EndToEnd.Tests.Nft;

/// <summary>
/// The rendered client chains, read rule by rule as the kernel reads them, give every new flow the
/// verdict and the deciding rule <see cref="ReferenceEvaluator"/> gives it, over many generated policies.
/// </summary>
public sealed class NftEquivalenceTests
{
    private static readonly string[] Clients = ["work", "personal", "vault"];

    private static readonly Dictionary<string, string[]> Addresses = new()
    {
        ["work"] = ["10.137.0.5", "fd00:137::5"],
        ["personal"] = ["10.137.0.6", "10.137.0.16"],
        ["vault"] = ["fd00:137::9", "10.137.0.9"],
    };

    private static readonly IPAddress[] Resolvers = [IPAddress.Parse("10.139.1.1"), IPAddress.Parse("fd00:139::1"), IPAddress.Parse("10.137.0.9")];

    private static readonly Dictionary<string, IReadOnlyList<IPAddress>> Hosts = Answers(
        ("web.example", ["198.51.100.7", "2001:db8::7"]),
        ("peer.example", ["10.137.0.6", "198.51.100.8"]),
        ("v4.example", ["203.0.113.9"]),
        ("dns.example", ["10.139.1.1"]));

    private static readonly string[] Destinations =
    [
        "", "", "", " dst4=10.137.0.0/24", " dst4=10.137.0.6", " dst4=198.51.100.0/24", " dst4=0.0.0.0/0", " dst4=10.139.1.1/31",
        " dst6=fd00:137::/64", " dst6=2001:db8::/32", " dst6=::/0", " dst6=fd00:139::1", " dsthost=web.example", " dsthost=peer.example",
        " dsthost=v4.example", " dsthost=dns.example", " dsthost=missing.example", " dsthost=10.137.0.9",
    ];

    private static readonly string[] Targets =
    [
        "10.137.0.5", "10.137.0.6", "10.137.0.16", "10.137.0.9", "10.137.0.200", "10.139.1.1", "10.139.1.0", "198.51.100.7", "198.51.100.8",
        "203.0.113.9", "192.0.2.1", "fd00:137::5", "fd00:137::9", "fd00:137::77", "fd00:139::1", "2001:db8::7", "2001:db8:1::1", "2a00::1",
    ];

    private static string RandomRule(Random random)
    {
        while (true)
        {
            var text = new[] { "action=accept", "action=accept", "action=drop", "action=reject" }[random.Next(4)];
            switch (random.Next(6))
            {
                case 0: text += $" expire={Now - random.Next(0, 2)}"; break;
                case 1: text += $" expire={Now + 60}"; break;
            }
            text += Destinations[random.Next(Destinations.Length)];
            var proto = new[] { "", "", " proto=tcp", " proto=udp", " proto=icmp" }[random.Next(5)];
            text += proto;
            if (random.Next(5) == 0)
            {
                text += " specialtarget=dns";
            }
            if (proto is " proto=tcp" or " proto=udp" && random.Next(2) == 0)
            {
                text += new[] { " dstports=53", " dstports=22", " dstports=80-443", " dstports=1-1024" }[random.Next(4)];
            }
            if (proto == " proto=icmp" && random.Next(2) == 0)
            {
                text += new[] { " icmptype=8", " icmptype=128", " icmptype=0" }[random.Next(3)];
            }
            if (RuleParser.TryParse(text, Now, out _, out _))
            {
                return text;
            }
        }
    }

    private static IEnumerable<FlowQuery> Flows()
    {
        foreach (var target in Targets.Select(IPAddress.Parse))
        {
            var v6 = target.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
            foreach (var port in new[] { 22, 53, 80, 443, 8080 })
            {
                yield return new FlowQuery(target, FlowQuery.Tcp, port);
                yield return new FlowQuery(target, FlowQuery.Udp, port);
            }
            foreach (var type in new[] { 0, 8, 128 })
            {
                yield return new FlowQuery(target, v6 ? FlowQuery.IcmpV6 : FlowQuery.Icmp, IcmpType: type);
            }
            // ICMP of the other family's number, and a protocol without ports: "icmp" must not match them.
            yield return new FlowQuery(target, v6 ? FlowQuery.Icmp : FlowQuery.IcmpV6);
            yield return new FlowQuery(target, 47);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void generated_policies_give_every_new_flow_the_reference_verdict_and_rule(bool silentDrop)
    {
        var random = new Random(silentDrop ? 4 : 7);
        // The ruleset is rendered once and judged now and after the rules expiring in 60 s have expired,
        // as the kernel goes on judging a loaded ruleset while the clock runs.
        long[] moments = [Now, Now + 61];
        var environments = moments.Select(at => new EvaluationEnvironment(at, Resolvers, Hosts)).ToArray();
        var options = new NftOptions { NowUnix = Now, DnsResolvers = Resolvers, ResolvedHosts = Hosts, SilentDrop = silentDrop };
        var flows = Flows().ToArray();
        var checkedFlows = 0;
        for (var round = 0; round < 150; round++)
        {
            var content = Policy(Clients.Select(name => (name, Addresses[name],
                Enumerable.Range(0, random.Next(0, 7)).Select(i => ($"{name}-{i}", RandomRule(random))).ToArray())).ToArray());
            var canonical = new SnapshotContent(content.Format, content.Policy, content.Clients.Select(c => c with
            {
                Rules = c.Rules.Select(r => r with { Rule = RuleParser.Parse(r.Rule, Now).ToString() }).ToArray(),
            }).ToArray());
            var model = SnapshotCodec.ToModel(canonical);
            // The renderer refuses answers for names no rule uses (a --resolve typo), so pass only the names used.
            var used = model.Clients.SelectMany(c => c.Rules).Select(r => r.Rule.Host).OfType<string>().ToHashSet();
            var script = NftRenderer.Render(canonical, options with
            {
                ResolvedHosts = Hosts.Where(h => used.Contains(h.Key)).ToDictionary(h => h.Key, h => h.Value),
            });
            var sets = Sets(script);
            foreach (var client in Clients)
            {
                var chain = Chain(script, "client_" + client);
                for (var m = 0; m < moments.Length; m++)
                {
                    foreach (var flow in flows)
                    {
                        var expected = ReferenceEvaluator.Evaluate(model, client, flow, environments[m]);
                        var actual = Run(chain, flow, moments[m], sets);
                        var expectedVerdict = expected.Action switch
                        {
                            RuleAction.Accept => "accept",
                            RuleAction.Drop => silentDrop ? "drop" : NftRenderer.AdminProhibited,
                            _ => flow.Protocol == FlowQuery.Tcp ? NftRenderer.TcpReset : NftRenderer.AdminProhibited,
                        };
                        var because = $"client {client}, flow {flow} at {moments[m]}, rules:\n  {string.Join("\n  ", model.FindClient(client)!.Rules.Select(r => $"{r.Id}: {r.Rule}"))}\n" +
                            $"reference: {expected}\nchain:\n  {string.Join("\n  ", chain)}";
                        Assert.True((expectedVerdict, expected.RuleId ?? "default drop") == (actual.Verdict, actual.Comment), because);
                        checkedFlows++;
                    }
                }
            }
        }
        Assert.True(checkedFlows > 100_000, $"{checkedFlows}");
    }
}
