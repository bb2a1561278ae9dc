using System.Diagnostics;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using Xunit.Abstractions;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// Mutation fuzzing of <see cref="PacketEngine.Process(Span{byte}, int, int, long, Span{byte}, Offload)"/>:
/// valid packets of many kinds (TCP, UDP, ICMP queries and errors, IPv6 extension headers,
/// fragments, offload super-packets, replies of NAT'd flows from the uplink) are corrupted with
/// seeded random bit flips, header overwrites, truncations, wrong length fields and random offload
/// values. Every outcome is checked: nothing throws, nothing is written outside the packet or the
/// reply span, what leaves is well formed (lengths, checksums, hop limit, MTU, route) and belongs
/// to a flow the policy allowed, the firewall's own answers are well formed and quote what was
/// sent, and the engine still passes valid traffic afterwards. Reproducible: each round's world
/// and mutations come from a fixed seed.
/// </summary>
public sealed partial class EngineFuzzTests(ITestOutputHelper output)
{
    private const int Rounds = 50;
    private const int PerRound = 1500;
    private const int Guard = 32;
    private const byte GuardByte = 0xA5;

    /// <summary>Expires 8 s into each round (the clock moves about 20 ms a case).</summary>
    private const long ExpireAt = Start / 1000 + 8;

    private static readonly string[] WorkRules =
    [
        $"action=accept proto=tcp dstports=8443 expire={ExpireAt}",
        "action=accept proto=tcp dstports=443",
        "action=reject proto=tcp dstports=22",
        "action=accept proto=udp dstports=53",
        "action=drop proto=udp dstports=69",
        "action=accept proto=udp dstports=33434-33534",
        "action=accept proto=icmp",
        $"action=accept dst4={Personal4}/32",
        "action=drop",
    ];

    /// <summary>What a swap may put in place of <see cref="WorkRules"/>: flows none of them allows any more are cut.</summary>
    private static readonly string[][] WorkVariants =
    [
        WorkRules,
        [.. WorkRules.Where(r => !r.Contains("dstports=53"))],
        ["action=accept proto=icmp", "action=drop"],
        ["action=accept"],
        [.. WorkRules.Where(r => !r.Contains("dstports=443") && !r.Contains("dst4="))],
    ];

    private static readonly string[] PersonalRules = ["action=accept proto=tcp dstports=443", "action=accept proto=udp dstports=5000", "action=drop"];

    private static readonly int[] SegmentSizes = [0, 1, 2, 7, 8, 100, 536, 1200, 1232, 1448, 1452, 1460, 1500, 9000, 65535, 65536, int.MaxValue, -1, int.MinValue];

    private static readonly int[] ReplySizes = [0, 20, 47, 48, 59, 60, 67, 68, 100, 300, 576, 1280, 2048];

    [Fact]
    public void mutated_packets_never_throw_and_whatever_leaves_or_answers_is_well_formed_and_allowed()
    {
        var clock = Stopwatch.StartNew();
        var failures = new Failures();
        var cases = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var world = new World(1000 + round, failures);
            for (var i = 0; i < PerRound; i++)
            {
                world.RunCase(i);
                cases++;
                if (i % 40 == 39)
                {
                    world.Canary(i);
                }
            }
            world.Canary(PerRound);
        }
        output.WriteLine($"{cases} cases in {clock.ElapsedMilliseconds} ms");
        foreach (var (name, counts) in Stats.OrderBy(s => s.Key))
        {
            output.WriteLine($"{name,-32} {counts.Cases,6} cases {counts.Forwarded,6} forwarded {counts.Replies,5} answered");
        }
        output.WriteLine(string.Join(", ", Reasons.OrderByDescending(r => r.Value).Select(r => $"{r.Key} {r.Value}")));
        Assert.True(failures.Count == 0, $"{failures.Count} property failures in {cases} cases ({clock.ElapsedMilliseconds} ms):\n{failures}");
    }

    private static readonly Dictionary<string, (int Cases, int Forwarded, int Replies)> Stats = [];
    private static readonly Dictionary<DropReason, int> Reasons = [];

    private static void Count(string name, PacketOutcome? outcome)
    {
        name = name.Split(" #")[0];
        var (cases, forwarded, replies) = Stats.GetValueOrDefault(name);
        Stats[name] = (cases + 1, forwarded + (outcome?.Forwarded == true ? 1 : 0), replies + (outcome?.ReplyLength > 0 ? 1 : 0));
        if (outcome is { } o)
        {
            Reasons[o.Reason] = Reasons.GetValueOrDefault(o.Reason) + 1;
        }
    }

    [Fact]
    public void every_kind_of_packet_cut_to_every_length_or_with_its_ip_length_set_to_it_never_throws_and_stays_well_formed()
    {
        var failures = new Failures();
        var cases = 0;
        for (var round = 0; round < 5; round++)
        {
            var world = new World(2000 + round, failures);
            for (var k = 0; k < 60; k++)
            {
                cases += world.SweepLengths(k);
            }
            world.Canary(cases);
        }
        output.WriteLine($"{cases} cases");
        Assert.True(failures.Count == 0, $"{failures.Count} property failures in {cases} cases:\n{failures}");
    }

    [Fact]
    public void blind_segments_from_the_uplink_into_established_flows_never_pass_and_never_disturb_them()
    {
        var rng = new Random(3000);
        var lab = new EngineLab(["action=accept"]);
        var reply = new byte[2048];
        var flows = new List<(string Client, string Remote, string Uplink, ushort Port, uint Exclusion)>();
        foreach (var (client, remote, uplink, scale) in new[] { (Work4, Remote4, Uplink4, false), (Work6, Remote6, Uplink6, true) })
        {
            byte[]? options = scale ? [1, 3, 3, 7] : null;
            var port = lab.Through(Packets.Tcp(client, remote, 40000, 443, TcpFlags.Syn, sequence: 1000, tcpOptions: options), lab.Work).Info.SourcePort;
            lab.Through(Packets.Tcp(remote, uplink, 443, port, TcpFlags.Syn | TcpFlags.Ack, sequence: 5000, acknowledgement: 1001, tcpOptions: options), Ingress.Uplink);
            lab.Through(Packets.Tcp(client, remote, 40000, 443, TcpFlags.Ack, sequence: 1001, acknowledgement: 5001), lab.Work);
            // Windows of up to 65,535 << 7 with scaling: a guess this far from the sequence numbers in use is blind.
            flows.Add((client, remote, uplink, port, scale ? 1u << 25 : 1u << 20));
        }
        var passed = new List<string>();

        for (var i = 0; i < 20_000; i++)
        {
            var (client, remote, uplink, port, exclusion) = flows[rng.Next(flows.Count)];
            var seq = 5001u + exclusion + (uint)rng.NextInt64(0, (1L << 32) - 2L * exclusion);
            var ack = rng.Next(2) == 0 ? 1001u : (uint)rng.NextInt64(0, 1L << 32);
            var flags = (TcpFlags)rng.Next(256);
            var blind = Packets.Tcp(remote, uplink, 443, port, flags, payload: rng.Next(0, 100), sequence: seq, acknowledgement: ack,
                window: (ushort)rng.Next(65536));
            lab.Now += rng.Next(0, 5);

            var outcome = lab.Engine.Process(blind, blind.Length, Ingress.Uplink, lab.Now, reply);

            if (outcome.Forwarded && passed.Count < 10)
            {
                passed.Add($"{client} flags {flags} seq {seq} ack {ack}: {Convert.ToHexString(blind)}");
            }
        }

        Assert.True(passed.Count == 0, "blind segments reached the client:\n" + string.Join("\n", passed));
        foreach (var (client, remote, uplink, port, _) in flows)
        {
            lab.Through(Packets.Tcp(client, remote, 40000, 443, TcpFlags.Ack | TcpFlags.Psh, payload: 100, sequence: 1001, acknowledgement: 5001), lab.Work);
            lab.Through(Packets.Tcp(remote, uplink, 443, port, TcpFlags.Ack | TcpFlags.Psh, payload: 100, sequence: 5001, acknowledgement: 1101), Ingress.Uplink);
        }
    }

    /// <summary>Found by the fuzzing above: an IP fragment cannot be a segmentation-offload super-packet, so a segment size must not shrink what the MTU is checked against.</summary>
    [Theory]
    [InlineData(Work4, Remote4, 1480)]
    [InlineData(Work6, Remote6, 1448)]
    public void a_fragment_is_held_to_the_mtu_whatever_segment_size_its_offload_header_claims(string client, string remote, int dataPerFragment)
    {
        var lab = new EngineLab(["action=accept"], options: Options with { UplinkMtu = 1280 });
        var first = Packets.Fragments(Packets.Udp(client, remote, 5353, 53, payload: 3000), dataPerFragment)[0];
        Assert.True(first.Length > 1280);
        // A USO header without checksum offload: the worker refuses it for a fragment, and the engine, given its size anyway, does not trust it.
        var header = new VirtioNetHeader(VirtioNetFlags.None, VirtioGsoType.UdpL4, 0, 536, 0, 0);
        Assert.False(OffloadHeaderCheck.Fits(header, Packets.Parse(first)));

        var outcome = lab.Engine.Process(first, first.Length, lab.Work, lab.Now, new byte[2048], new Offload(header.NeedsChecksum, header.GsoSize));

        if (client == Work4)
        {
            // Without DF: it leaves cut into fragments of the uplink's MTU, judged by its own length.
            Assert.True(outcome.Forwarded, $"{outcome.Reason}");
            Assert.Equal(1280, outcome.FragmentMtu);
            return;
        }
        Assert.False(outcome.Forwarded, $"a {outcome.Length}-byte fragment left by a 1280-byte uplink");
        Assert.Equal(DropReason.TooBig, outcome.Reason);
    }

    /// <summary>Found by the fuzzing above: headers + segment size overflowed int, and the sum then passed any MTU.</summary>
    [Fact]
    public void a_segment_size_beyond_any_packet_does_not_let_a_super_packet_past_the_mtu()
    {
        var lab = new EngineLab(["action=accept"]);
        var super = Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn, payload: 1448 * 44, dontFragment: true);

        var outcome = lab.Engine.Process(super, super.Length, lab.Work, lab.Now, new byte[2048], new Offload(PartialChecksum: true, SegmentPayload: int.MaxValue));

        Assert.False(outcome.Forwarded, $"a {outcome.Length}-byte packet whose one segment is all of it left by a 1500-byte uplink");
        Assert.Equal(DropReason.TooBig, outcome.Reason);
    }

    /// <summary>Collects failures, a few of each kind, so one run shows every kind of defect.</summary>
    private sealed class Failures
    {
        private readonly Dictionary<string, List<string>> _byKind = [];

        public int Count { get; private set; }

        public void Add(string kind, string detail)
        {
            Count++;
            if (!_byKind.TryGetValue(kind, out var list))
            {
                _byKind[kind] = list = [];
            }
            if (list.Count < 3)
            {
                list.Add(detail);
            }
        }

        public override string ToString() => string.Join("\n", _byKind.Select(k =>
            $"== {k.Key} ==\n" + string.Join("\n", k.Value.Select(v => "  " + v))));
    }

    private sealed record Case(string Name, byte[] Bytes, int Ingress, Offload Offload);
}
