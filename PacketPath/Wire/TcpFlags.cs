namespace Lethe.PacketPath.Wire;

/// <summary>The TCP flags byte (RFC 9293 §3.1, RFC 3168 for ECE/CWR); <see cref="PacketInfo.TcpFlags"/> holds it raw.</summary>
[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
    Ece = 0x40,
    Cwr = 0x80,
}
