namespace Lethe.PacketPath.Devices;

/// <summary>
/// The offloads a device took, named as ethtool's features are known, for the boot log: the enum's
/// own ToString would print the composite "Default" and hide a kernel that refused USO.
/// </summary>
public static class TunOffloadNames
{
    private static readonly (TunOffloads Flag, string Name)[] Names =
    [
        (TunOffloads.Checksum, "checksum"),
        (TunOffloads.Tso4, "TSO4"),
        (TunOffloads.Tso6, "TSO6"),
        (TunOffloads.TsoEcn, "TSO-ECN"),
        (TunOffloads.Ufo, "UFO"),
        (TunOffloads.Uso4, "USO4"),
        (TunOffloads.Uso6, "USO6"),
    ];

    public static string Describe(TunOffloads offloads)
    {
        var names = new List<string>();
        foreach (var (flag, name) in Names)
        {
            if ((offloads & flag) != 0)
            {
                names.Add(name);
            }
        }
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }
}
