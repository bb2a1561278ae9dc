using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// A firewall on the bench: clients "work" (10.137.0.5, fd09::5) and "personal" (10.137.0.6)
/// behind the uplink 198.51.100.1 / 2001:db8:ff::1, and remotes on the TEST-NET ranges. Every
/// packet goes through <see cref="PacketEngine.Process"/> exactly as the live path calls it; what
/// comes out is copied so a test can look at it after the next packet.
/// </summary>
internal sealed class EngineLab
{
    public const string Work4 = "10.137.0.5";
    public const string Work6 = "fd09::5";
    public const string Personal4 = "10.137.0.6";
    public const string Uplink4 = "198.51.100.1";
    public const string Uplink6 = "2001:db8:ff::1";
    public const string Remote4 = "192.0.2.10";
    public const string Remote6 = "2001:db8:1::10";
    public const string Router4 = "203.0.113.9";
    public const string Router6 = "2001:db8:2::9";

    /// <summary>2027-01-15, in milliseconds: the clock every test starts from.</summary>
    public const long Start = 1_800_000_000_000;

    public EngineLab(string[] work, string[]? personal = null, EngineOptions? options = null, bool personalFirst = false)
    {
        Engine = new PacketEngine(Policy(work, personal ?? ["action=accept"], version: 1, personalFirst), options ?? Options);
    }

    public static EngineOptions Options { get; } = new()
    {
        UplinkV4 = NetAddress.Parse(Uplink4),
        UplinkV6 = NetAddress.Parse(Uplink6),
        Seed = 42,
    };

    public PacketEngine Engine { get; }

    public long Now { get; set; } = Start;

    public int Work => Engine.Policy.Compiled.ClientIndex("work");

    public int Personal => Engine.Policy.Compiled.ClientIndex("personal");

    public static SnapshotContent Content(string[] work, string[] personal, bool personalFirst = false)
    {
        var workClient = Client("work", [Work4, Work6], work);
        var personalClient = Client("personal", [Personal4], personal);
        return new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
            personalFirst ? [personalClient, workClient] : [workClient, personalClient]);
    }

    public static ActivePolicy Policy(string[] work, string[] personal, int version, bool personalFirst = false)
    {
        var compiled = CompiledPolicy.Compile(Content(work, personal, personalFirst), []);
        return new ActivePolicy(compiled, version, compiled.CreateHostTable());
    }

    /// <summary>A policy with the one client "work" (at its IPv4 address only).</summary>
    public static ActivePolicy WorkOnly(string[] work, int version)
    {
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab", [Client("work", [Work4], work)]);
        var compiled = CompiledPolicy.Compile(content, []);
        return new ActivePolicy(compiled, version, compiled.CreateHostTable());
    }

    private static SnapshotClient Client(string name, string[] addresses, string[] rules) =>
        new(name, addresses, rules.Select((rule, i) => new SnapshotRule($"{name}-{i}", rule)).ToArray());

    public Sent FromWork(byte[] packet) => Send(packet, Work);

    public Sent FromPersonal(byte[] packet) => Send(packet, Personal);

    public Sent FromUplink(byte[] packet) => Send(packet, Ingress.Uplink);

    public Sent Send(byte[] packet, int ingress)
    {
        var buffer = packet.ToArray();
        var reply = new byte[2048];
        var outcome = Engine.Process(buffer, buffer.Length, ingress, Now, reply);
        return new Sent(outcome, outcome.Forwarded ? buffer[..outcome.Length] : buffer, reply[..outcome.ReplyLength]);
    }

    /// <summary>As <see cref="Send"/>, from a caller that would hold a later fragment that came early (the live worker).</summary>
    public Sent SendMayHold(byte[] packet, int ingress)
    {
        var buffer = packet.ToArray();
        var reply = new byte[2048];
        var outcome = Engine.Process(buffer, Packets.Parse(buffer), ingress, Now, reply, Offload.None, mayHold: true);
        return new Sent(outcome, outcome.Forwarded ? buffer[..outcome.Length] : buffer, reply[..outcome.ReplyLength]);
    }

    /// <summary>Sends a client's packet that must leave, and returns it as it left.</summary>
    public Sent Through(byte[] packet, int ingress)
    {
        var sent = Send(packet, ingress);
        Assert.True(sent.Forwarded, $"expected the packet to be forwarded, but it was dropped: {sent.Reason}");
        return sent;
    }
}

/// <summary>What one call did: the outcome, the packet as it left (or the buffer as it was left), and the firewall's own answer.</summary>
internal sealed record Sent(PacketOutcome Outcome, byte[] Packet, byte[] Reply)
{
    public bool Forwarded => Outcome.Forwarded;

    public DropReason Reason => Outcome.Reason;

    public PacketInfo Info => Packets.Parse(Packet);

    public PacketInfo ReplyInfo => Packets.Parse(Reply);
}
