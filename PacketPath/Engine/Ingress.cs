namespace Lethe.PacketPath.Engine;

/// <summary>Where a packet came from or goes to: a client index (0, 1, ...) or one of these.</summary>
public static class Ingress
{
    public const int Uplink = -1;

    /// <summary>Replay: a client when the source is one of its addresses, else the uplink.</summary>
    public const int BySource = -2;
}
