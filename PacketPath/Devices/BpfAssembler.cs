namespace Lethe.PacketPath.Devices;

/// <summary>
/// Writes eBPF instructions (the kernel's own encoding, include/uapi/linux/bpf.h: opcode, dst and
/// src registers, a 16-bit jump offset, a 32-bit immediate, little-endian as x86-64 and arm64 run
/// it), with forward jumps to labels, so a program is built without a compiler. Only what
/// <see cref="Forwarding.QueueSteering"/> needs is here; used once at start-up, never per packet.
/// </summary>
internal sealed class BpfAssembler
{
    public const int R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, Fp = 10;

    // Instruction classes, sizes, modes, sources and operations.
    private const byte Ld = 0x00, Ldx = 0x01, St = 0x02, Stx = 0x03, Alu = 0x04, Jmp = 0x05, Alu64 = 0x07;
    private const byte W = 0x00, H = 0x08, B = 0x10, Dw = 0x18;
    private const byte Imm = 0x00, Abs = 0x20, Ind = 0x40, Mem = 0x60;
    private const byte K = 0x00, X = 0x08;

    public const byte Add = 0x00, Mul = 0x20, Or = 0x40, And = 0x50, Lsh = 0x60, Rsh = 0x70, Mod = 0x90, Xor = 0xa0, Mov = 0xb0;
    public const byte Jeq = 0x10, Jgt = 0x20, Jset = 0x40, Jne = 0x50, Jlt = 0xa0;
    private const byte Exit = 0x90;

    private readonly List<ulong> _code = [];
    private readonly List<(int At, string Label)> _jumps = [];
    private readonly Dictionary<string, int> _labels = [];

    private void Emit(byte opcode, int dst, int src, short offset, int immediate) =>
        _code.Add(opcode | (ulong)(dst & 0xf) << 8 | (ulong)(src & 0xf) << 12 | (ulong)(ushort)offset << 16 | (ulong)(uint)immediate << 32);

    /// <summary>dst op= imm, on all 64 bits (the immediate is sign-extended).</summary>
    public void Alu64Imm(byte op, int dst, int immediate) => Emit((byte)(Alu64 | op | K), dst, 0, 0, immediate);

    /// <summary>dst op= src, on all 64 bits.</summary>
    public void Alu64Reg(byte op, int dst, int src) => Emit((byte)(Alu64 | op | X), dst, src, 0, 0);

    /// <summary>dst op= imm on the low 32 bits; the high ones become 0.</summary>
    public void Alu32Imm(byte op, int dst, int immediate) => Emit((byte)(Alu | op | K), dst, 0, 0, immediate);

    /// <summary>dst = a 64-bit constant (the two-slot load).</summary>
    public void Load64(int dst, ulong value)
    {
        Emit(Ld | Dw | Imm, dst, 0, 0, (int)(uint)value);
        Emit(0, 0, 0, 0, (int)(uint)(value >> 32));
    }

    /// <summary>
    /// R0 = the 1, 2 or 4 bytes at <paramref name="offset"/> of the packet, read as a big-endian number
    /// (BPF_LD_ABS); a packet too short for them ends the program, returning 0. Needs the context in R6,
    /// and overwrites R1 to R5.
    /// </summary>
    public void LoadPacket(int size, int offset) => Emit((byte)(Ld | Abs | SizeBits(size)), 0, 0, 0, offset);

    /// <summary>As <see cref="LoadPacket"/>, at <paramref name="index"/> (a register) plus <paramref name="offset"/> (BPF_LD_IND).</summary>
    public void LoadPacketAt(int size, int index, int offset) => Emit((byte)(Ld | Ind | SizeBits(size)), 0, index, 0, offset);

    /// <summary>*(u64 *)(Fp + offset) = src.</summary>
    public void Spill(int offset, int src) => Emit(Stx | Mem | Dw, Fp, src, checked((short)offset), 0);

    /// <summary>*(u64 *)(Fp + offset) = imm.</summary>
    public void SpillImm(int offset, int immediate) => Emit(St | Mem | Dw, Fp, 0, checked((short)offset), immediate);

    /// <summary>dst = *(u64 *)(Fp + offset).</summary>
    public void Fill(int dst, int offset) => Emit(Ldx | Mem | Dw, dst, Fp, checked((short)offset), 0);

    /// <summary>if (dst op imm) goto label; label placed later.</summary>
    public void JumpIf(byte op, int dst, int immediate, string label)
    {
        _jumps.Add((_code.Count, label));
        Emit((byte)(Jmp | op | K), dst, 0, 0, immediate);
    }

    public void Goto(string label)
    {
        _jumps.Add((_code.Count, label));
        Emit(Jmp, 0, 0, 0, 0);
    }

    public void Label(string label) => _labels.Add(label, _code.Count);

    public void Return() => Emit(Jmp | Exit, 0, 0, 0, 0);

    /// <summary>The program, every jump resolved.</summary>
    public ulong[] Build()
    {
        var code = _code.ToArray();
        foreach (var (at, label) in _jumps)
        {
            var target = _labels.TryGetValue(label, out var place) ? place : throw new InvalidOperationException($"no label {label}");
            var offset = checked((short)(target - at - 1));
            code[at] = (code[at] & ~(0xFFFFUL << 16)) | (ulong)(ushort)offset << 16;
        }
        return code;
    }

    private static byte SizeBits(int size) => size switch
    {
        1 => B,
        2 => H,
        4 => W,
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, "a packet load reads 1, 2 or 4 bytes"),
    };
}
