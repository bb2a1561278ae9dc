namespace Lethe.PacketPath.Classification;

/// <summary>Compares ICMP type maps (row offsets by type) by content, so that a compile keeps one of each.</summary>
internal sealed class IcmpMapComparer : IEqualityComparer<int[]>
{
    public static readonly IcmpMapComparer Instance = new();

    public bool Equals(int[]? x, int[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(int[] map)
    {
        var hash = new HashCode();
        hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(map.AsSpan()));
        return hash.ToHashCode();
    }
}
