using System.Runtime.InteropServices;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Tracking;
using Microsoft.Win32.SafeHandles;
using static Lethe.PacketPath.Devices.BpfAssembler;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// Puts every packet the kernel hands a device straight on the queue of the worker that owns its
/// flow: an eBPF steering program (TUNSETSTEERINGEBPF) that computes <see cref="FlowShards.Of"/>,
/// with the same secret, from the packet's bytes. Without it the kernel picks the queue that last
/// wrote the flow, so a flow's first packets each way, and one-way streams all along, arrive at
/// a worker that hands them over (and a packet handed over can be overtaken by a later one).
/// </summary>
/// <remarks>
/// It reads plain IPv4 (any options) and IPv6 TCP, UDP, ICMP echo and the other ICMP queries that
/// <see cref="Wire.PacketInfo"/> gives an identifier as both ports. Everything else (fragments, IPv6
/// extension headers, ICMP errors, other protocols, a packet cut short) goes to queue 0, as shard 0
/// takes every flow without ports; whatever lands on a queue not its owner's is still handed over,
/// so the program only saves work and never decides where a packet is judged.
/// </remarks>
public static class QueueSteering
{
    // Stack slots for the flow's fields, from the frame pointer down.
    private const int SourceLow = -8, SourceHigh = -16, DestinationLow = -24, DestinationHigh = -32, SourcePort = -40, DestinationPort = -48;

    /// <summary>The program for <paramref name="shards"/>: returns a packet's shard.</summary>
    public static ulong[] Program(FlowShards shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        var a = new BpfAssembler();
        a.Alu64Reg(Mov, R6, R1); // the packet loads take the context from R6
        a.LoadPacket(1, 0);
        a.Alu64Imm(Rsh, R0, 4);
        a.JumpIf(Jeq, R0, 4, "v4");
        a.JumpIf(Jeq, R0, 6, "v6");
        a.Goto("zero");

        // Only R0 and R6 to R9 outlive a packet load: the fields go to the stack.
        a.Label("v4");
        a.LoadPacket(2, 6);
        a.JumpIf(Jset, R0, 0x3FFF, "zero"); // more fragments, or an offset: no ports to read
        a.LoadPacket(1, 0);
        a.Alu64Imm(And, R0, 0xF);
        a.Alu64Imm(Lsh, R0, 2);
        a.JumpIf(Jlt, R0, 20, "zero");
        a.Alu64Reg(Mov, R7, R0); // the transport header's offset
        a.LoadPacket(1, 9);
        a.Alu64Reg(Mov, R9, R0); // the protocol
        // NetAddress keeps IPv4 in the low 32 bits, unmapped.
        a.LoadPacket(4, 12);
        a.Spill(SourceLow, R0);
        a.SpillImm(SourceHigh, 0);
        a.LoadPacket(4, 16);
        a.Spill(DestinationLow, R0);
        a.SpillImm(DestinationHigh, 0);
        a.JumpIf(Jeq, R9, 6, "ports");
        a.JumpIf(Jeq, R9, 17, "ports");
        a.JumpIf(Jne, R9, 1, "zero");
        a.LoadPacketAt(1, R7, 0);
        // IcmpV4Message.IsQueryType: echo reply, echo request, 13 to 18.
        a.JumpIf(Jeq, R0, 0, "query");
        a.JumpIf(Jeq, R0, 8, "query");
        a.JumpIf(Jlt, R0, 13, "zero");
        a.JumpIf(Jgt, R0, 18, "zero");
        a.Goto("query");

        a.Label("v6");
        a.LoadPacket(1, 6);
        a.Alu64Reg(Mov, R9, R0); // the next header: only a transport header right after the fixed one is read
        a.Alu64Imm(Mov, R7, 40);
        // NetAddress.Bits is the address read as one big-endian 128-bit number.
        foreach (var (slot, offset) in new[] { (SourceHigh, 8), (SourceLow, 16), (DestinationHigh, 24), (DestinationLow, 32) })
        {
            a.LoadPacket(4, offset);
            a.Alu64Imm(Lsh, R0, 32);
            a.Alu64Reg(Mov, R8, R0);
            a.LoadPacket(4, offset + 4);
            a.Alu64Reg(Or, R0, R8);
            a.Spill(slot, R0);
        }
        a.JumpIf(Jeq, R9, 6, "ports");
        a.JumpIf(Jeq, R9, 17, "ports");
        a.JumpIf(Jne, R9, 58, "zero");
        a.LoadPacketAt(1, R7, 0);
        // IcmpV6Message.IsQueryType: echo request and reply.
        a.JumpIf(Jeq, R0, 128, "query");
        a.JumpIf(Jeq, R0, 129, "query");
        a.Goto("zero");

        a.Label("query"); // the identifier is both ports
        a.LoadPacketAt(2, R7, 4);
        a.Spill(SourcePort, R0);
        a.Spill(DestinationPort, R0);
        a.Goto("hash");

        a.Label("ports");
        a.LoadPacketAt(2, R7, 0);
        a.Spill(SourcePort, R0);
        a.LoadPacketAt(2, R7, 2);
        a.Spill(DestinationPort, R0);

        // FlowShards.Of from here on, step by step.
        a.Label("hash");
        a.Fill(R1, SourcePort);
        a.Fill(R2, DestinationPort);
        a.Alu64Reg(Or, R1, R2);
        a.JumpIf(Jeq, R1, 0, "zero");
        Endpoint(a, R8, SourceLow, SourceHigh, SourcePort);
        Endpoint(a, R3, DestinationLow, DestinationHigh, DestinationPort);
        a.Alu64Reg(Xor, R8, R3);
        a.Load64(R2, shards.Secret);
        a.Alu64Reg(Xor, R8, R2);
        a.Load64(R2, 0x9E3779B97F4A7C15UL);
        a.Alu64Reg(Mul, R8, R2);
        a.Alu64Reg(Add, R8, R9);
        a.Alu64Reg(Mov, R1, R8);
        a.Alu64Imm(Rsh, R1, 33);
        a.Alu64Reg(Xor, R8, R1);
        a.Load64(R2, 0xFF51AFD7ED558CCDUL);
        a.Alu64Reg(Mul, R8, R2);
        a.Alu64Reg(Mov, R1, R8);
        a.Alu64Imm(Rsh, R1, 33);
        a.Alu64Reg(Xor, R8, R1);
        a.Alu64Reg(Mov, R0, R8);
        a.Alu64Imm(Rsh, R0, 32);
        // Taken modulo here: the kernel keeps only 16 bits of the answer before its own modulo.
        a.Alu32Imm(Mod, R0, shards.Count);
        a.Return();

        a.Label("zero");
        a.Alu64Imm(Mov, R0, 0);
        a.Return();
        return a.Build();
    }

    /// <summary>FlowShards.Endpoint into <paramref name="into"/>, with R1 and R2 as scratch.</summary>
    private static void Endpoint(BpfAssembler a, int into, int low, int high, int port)
    {
        a.Fill(into, high);
        a.Alu64Reg(Mov, R1, into);
        a.Alu64Imm(Lsh, into, 29);
        a.Alu64Imm(Rsh, R1, 35);
        a.Alu64Reg(Or, into, R1);
        a.Fill(R1, low);
        a.Alu64Reg(Xor, into, R1);
        a.Fill(R1, port);
        a.Alu64Reg(Mov, R2, R1);
        a.Alu64Imm(Lsh, R2, 48);
        a.Alu64Reg(Xor, into, R2);
        a.Alu64Reg(Xor, into, R1);
        a.Load64(R2, 0xC2B2AE3D27D4EB4FUL);
        a.Alu64Reg(Mul, into, R2);
        a.Alu64Reg(Mov, R1, into);
        a.Alu64Imm(Rsh, R1, 31);
        a.Alu64Reg(Xor, into, R1);
    }

    /// <summary><see cref="Program"/> loaded into the kernel, or null and why not.</summary>
    public static SafeFileHandle? TryLoad(FlowShards shards, out string? refusal) =>
        BpfProgram.TryLoadSocketFilter(Program(shards), "lethe_steer", out refusal);

    /// <summary>
    /// Gives every device the program for <paramref name="shards"/>. Null when all took it; else
    /// why not, and the devices steer as the kernel does by default (a program an earlier run left
    /// on a persistent device is removed), which the handoff rings make correct, only slower.
    /// </summary>
    public static string? Attach(IReadOnlyList<AttachedDevice> devices, FlowShards shards)
    {
        ArgumentNullException.ThrowIfNull(devices);
        if (shards.Count == 1 || devices.Count == 0)
        {
            return null;
        }
        using var program = TryLoad(shards, out var refusal);
        if (program is not null)
        {
            foreach (var device in devices)
            {
                var errno = device.Device.Steer(program);
                if (errno != 0)
                {
                    refusal = $"TUNSETSTEERINGEBPF on {device.Device.Name} failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})";
                    break;
                }
            }
        }
        if (refusal is null)
        {
            return null;
        }
        foreach (var device in devices)
        {
            device.Device.Steer(null);
        }
        return refusal;
    }
}
