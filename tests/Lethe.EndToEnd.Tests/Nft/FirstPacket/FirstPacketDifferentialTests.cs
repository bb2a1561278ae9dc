using System.Diagnostics;
using System.Text;
using Lethe.EndToEnd.Tests.Nft.Conntrack;
using Lethe.Firewall.Nft;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;
using Xunit.Abstractions;

namespace Lethe.EndToEnd.Tests.Nft.FirstPacket;

/// <summary>
/// Lethe's engine against the kernel under the ruleset <c>lethe-firewall nft</c> prints, on the first
/// packet of new flows: for each of many <see cref="RandomPolicy"/>s, the ruleset is loaded into one
/// namespace of the test's own (<c>nft -f</c>, replacing the last policy's) and an engine is booted from
/// the same snapshot; each <see cref="RandomFirstPacket"/> goes to both, and both must drop it or send it
/// out by the same device (the uplink or the same client), and answer it alike (administratively
/// prohibited, a TCP reset, time exceeded, a parameter problem pointing at the same octet, or nothing). The differences README lists ("Known differences
/// from Lethe (first packets)") are reported, not failed (<see cref="KnownDifference"/>); any other fails the test. LETHE_FP_SEED,
/// LETHE_FP_POLICIES and LETHE_FP_PACKETS (default 1, 50 and 28: 1,400 packets) pick a longer run;
/// the report, with one case of each kind of difference, goes to LETHE_FP_REPORT (default /tmp/fpdiff-report.txt).
/// </summary>
public sealed class FirstPacketDifferentialTests(ITestOutputHelper output)
{
    [LinuxRootFact]
    public void first_packets_under_random_policies_pass_leave_and_are_answered_by_lethe_as_by_the_kernel()
    {
        Assert.Null(NftCheck.WhyNot());
        var seed = Knob("LETHE_FP_SEED", 1);
        var policies = Knob("LETHE_FP_POLICIES", 50);
        var perPolicy = Knob("LETHE_FP_PACKETS", 28);
        var random = new Random(seed);
        using var kernel = KernelFirewall.Open(RandomPolicy.MaxClients, RandomPolicy.Uplink4, RandomPolicy.Uplink6,
            RandomPolicy.ClientSide4, RandomPolicy.ClientSide6);
        var clock = Stopwatch.StartNew();
        var unknown = new Dictionary<string, List<string>>();
        var known = new Dictionary<string, List<string>>();
        var tally = new Dictionary<string, int>();
        var packets = 0;
        var prefixPackets = 0;
        var nextPort = 1024;
        var reply = new byte[2048];
        for (var p = 0; p < policies; p++)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var policy = new RandomPolicy(random, now);
            kernel.Load(policy.Content, new NftOptions
            {
                NowUnix = now, DnsResolvers = policy.Resolvers, ResolvedHosts = policy.Hosts,
                UplinkPrefixLengthV4 = RandomPolicy.UplinkPrefix4, UplinkPrefixLengthV6 = RandomPolicy.UplinkPrefix6,
            });
            var engine = Engine(policy, out var compiled);
            for (var i = 0; i < perPolicy; i++)
            {
                var packet = RandomFirstPacket.Make(random, policy, (ushort)nextPort);
                nextPort = nextPort == 65535 ? 1024 : nextPort + 1;
                packets++;
                prefixPackets += packet.Destination is RandomPolicy.UplinkBroadcast4 or RandomPolicy.UplinkAnycast6 ? 1 : 0;
                var client = compiled.ClientIndex(policy.Content.Clients[packet.Client].Name);
                var buffer = packet.Bytes.ToArray();
                var outcome = engine.Process(buffer, buffer.Length, client, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), reply);
                var lethe = new Seen(
                    outcome.Forwarded ? outcome.Egress == Ingress.Uplink ? "uplink" : compiled.ClientName(outcome.Egress) : "drop",
                    outcome.ReplyLength > 0 ? Answer(reply[..outcome.ReplyLength]) : "none",
                    outcome.Forwarded ? "" : outcome.Reason.ToString());
                var linux = Kernel(kernel.Send(packet.Bytes, packet.Client), packet.Client, policy);
                var outcomeKind = $"{lethe.Exit switch { "drop" => "drop", "uplink" => "uplink", _ => "client" }}/{lethe.Answer}";
                tally[outcomeKind] = tally.GetValueOrDefault(outcomeKind) + 1;
                if (lethe.Exit == linux.Exit && lethe.Answer == linux.Answer)
                {
                    continue;
                }
                var why = KnownDifference.Of(packet, lethe, linux);
                var kind = $"{(why is null ? "" : why + ": ")}lethe {lethe.Short}, kernel {linux.Short}";
                var into = why is null ? unknown : known;
                if (!into.TryGetValue(kind, out var cases))
                {
                    into[kind] = cases = [];
                }
                cases.Add($"policy {p}:\n{policy.Describe()}\n  packet from {policy.Content.Clients[packet.Client].Name}: {packet.Text}\n" +
                    $"  lethe: {lethe}\n  kernel: {linux}\n");
            }
        }
        var report = new StringBuilder(
            $"{packets} first packets under {policies} random policies (seed {seed}) in {clock.Elapsed.TotalSeconds:F0} s; " +
            $"{unknown.Sum(d => d.Value.Count)} differ unexplained ({unknown.Count} kinds), {known.Sum(d => d.Value.Count)} as README says ({known.Count} kinds)\n" +
            $"{prefixPackets} to the uplink prefix's broadcast or subnet-router anycast\n" +
            $"lethe's outcomes: {string.Join(", ", tally.OrderByDescending(t => t.Value).Select(t => $"{t.Key} {t.Value}"))}\n");
        foreach (var (title, differences) in new[] { ("UNEXPLAINED", unknown), ("known", known) })
        {
            foreach (var (kind, cases) in differences.OrderByDescending(d => d.Value.Count))
            {
                report.Append($"\n== {title}: {cases.Count} x {kind}\n{cases[0]}");
            }
        }
        File.WriteAllText(Environment.GetEnvironmentVariable("LETHE_FP_REPORT") ?? "/tmp/fpdiff-report.txt", report.ToString());
        output.WriteLine(report.ToString());
        // A comparison that saw only one outcome would prove nothing: the policies must pass, drop and answer.
        Assert.True(tally.Keys.Count(k => k.StartsWith("uplink", StringComparison.Ordinal)) > 0 && tally.Keys.Any(k => k.EndsWith("/admin-prohibited", StringComparison.Ordinal)) &&
            tally.Keys.Any(k => k.EndsWith("/reset", StringComparison.Ordinal)) && tally.Keys.Any(k => k == "drop/none"), report.ToString());
        Assert.True(prefixPackets > 0, "no packet went to the uplink prefix's broadcast or anycast: " + report);
        Assert.True(unknown.Count == 0, report.ToString());
    }

    private static int Knob(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    /// <summary>A fresh engine booted from the policy, its answers unlimited as the kernel's are here.</summary>
    private static PacketEngine Engine(RandomPolicy policy, out CompiledPolicy compiled)
    {
        var resolvers = policy.Resolvers.Select(NetAddress.From).ToArray();
        compiled = CompiledPolicy.Compile(policy.Content, resolvers);
        var hosts = compiled.CreateHostTable();
        foreach (var (name, answers) in policy.Hosts)
        {
            hosts.Set(name, [.. answers.Select(NetAddress.From)]);
        }
        return new PacketEngine(new ActivePolicy(compiled, 1, hosts), new EngineOptions
        {
            UplinkV4 = NetAddress.Parse(RandomPolicy.Uplink4),
            UplinkV6 = NetAddress.Parse(RandomPolicy.Uplink6),
            // As the kernel's uplink holds them (KernelFirewall.Open): its broadcast and anycast are compared too.
            UplinkPrefixLengthV4 = RandomPolicy.UplinkPrefix4,
            UplinkPrefixLengthV6 = RandomPolicy.UplinkPrefix6,
            DnsResolvers = resolvers,
            Seed = 42,
            Limits = new ConnectionLimits { Capacity = 4096 },
            RepliesPerSecond = 1_000_000,
            ReplyBurst = 1_000_000,
        });
    }

    /// <summary>What the kernel did: the device the packet left by (none: dropped), and what came back to the sender's link.</summary>
    private static Seen Kernel(List<byte[]>[] seen, int sender, RandomPolicy policy)
    {
        var exits = new List<string>();
        for (var i = 0; i < seen.Length; i++)
        {
            if (i != sender && seen[i].Count > 0)
            {
                exits.Add(i == seen.Length - 1 ? "uplink" : i < policy.Content.Clients.Count ? policy.Content.Clients[i].Name : $"link {i}");
            }
        }
        var answers = seen[sender].Select(Answer).ToArray();
        return new Seen(
            exits.Count == 0 ? "drop" : string.Join("+", exits),
            answers.Length == 0 ? "none" : string.Join("+", answers),
            string.Join("; ", seen.SelectMany(s => s).Select(PacketText.Describe)));
    }

    /// <summary>
    /// The kind of an answer: administratively prohibited, a TCP reset, time exceeded, a parameter problem
    /// with the octet it points at, or the ICMP type and code.
    /// </summary>
    private static string Answer(byte[] packet)
    {
        // Read from the bytes: the kernel's carries the options of what it answers (ip_options_echo), which may not parse.
        var ipHeader = (packet[0] & 0x0F) * 4;
        if (packet[0] >> 4 == 4 && packet.Length >= ipHeader + 8 && packet[9] == IpProtocol.Icmp && packet[ipHeader] == IcmpV4Message.ParameterProblem)
        {
            return $"parameter-problem {packet[ipHeader + 1]} at {packet[ipHeader + 4]}";
        }
        if (!PacketParser.TryParse(packet, out var info, out var reason))
        {
            // The kernel's ICMPv4 errors carry the options of what they answer (ip_options_echo), even those Lethe refuses.
            var header = (packet[0] & 0x0F) * 4;
            return packet[0] >> 4 == 4 && packet.Length >= header + 2 && packet[9] == IpProtocol.Icmp
                ? $"icmp {packet[header]}/{packet[header + 1]} (options {reason})"
                : "unparsed " + reason;
        }
        return (info.Version, info.Protocol, info.IcmpType, info.IcmpCode) switch
        {
            (_, IpProtocol.Tcp, _, _) when ((TcpFlags)info.TcpFlags).HasFlag(TcpFlags.Rst) => "reset",
            (4, IpProtocol.Icmp, 3, 13) or (6, IpProtocol.IcmpV6, 1, 1) => "admin-prohibited",
            (4, IpProtocol.Icmp, 11, 0) or (6, IpProtocol.IcmpV6, 3, 0) => "time-exceeded",
            (_, IpProtocol.Tcp, _, _) => $"tcp {(TcpFlags)info.TcpFlags}",
            _ => $"icmp {info.IcmpType}/{info.IcmpCode}",
        };
    }
}

/// <summary>What one firewall did with a first packet: where it left (drop, uplink, a client), its answer, and why or what it saw.</summary>
internal sealed record Seen(string Exit, string Answer, string Detail)
{
    public string Short => $"{Exit}/{Answer}";

    public override string ToString() => $"{Exit}, answer {Answer}{(Detail.Length > 0 ? $" ({Detail})" : "")}";
}
