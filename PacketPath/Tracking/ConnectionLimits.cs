namespace Lethe.PacketPath.Tracking;

/// <summary>
/// Size bounds of the connection table, fixed at boot. The defaults take 13 MiB
/// (65,536 entries at <see cref="ConnectionTable.BytesPerEntry"/> = 208 bytes each, index
/// included); pages stay untouched, and so out of the resident set, until flows use them.
/// </summary>
public sealed record ConnectionLimits
{
    public const int DefaultCapacity = 65_536;

    /// <summary>Above this the index would not fit the table's 32-bit slot references.</summary>
    public const int MaxCapacity = 1 << 24;

    private readonly int? _perClientQuota;

    /// <summary>The hard bound on tracked flows.</summary>
    public int Capacity { get; init; } = DefaultCapacity;

    /// <summary>
    /// Flows one client may hold at once; by default a quarter of <see cref="Capacity"/>, so one
    /// client can fill at most a quarter of the table and never push out the flows of others.
    /// </summary>
    public int PerClientQuota
    {
        get => _perClientQuota ?? Math.Max(1, Capacity / 4);
        init => _perClientQuota = value;
    }

    /// <summary>Client indexes run from 0 to this minus one.</summary>
    public int MaxClients { get; init; } = 1_024;

    /// <summary>Entries examined for expiry when a new flow finds the table or its quota full.</summary>
    public int SweepWhenFull { get; init; } = 64;
}
