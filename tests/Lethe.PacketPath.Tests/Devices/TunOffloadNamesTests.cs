using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

public class TunOffloadNamesTests
{
    [Theory]
    [InlineData(TunOffloads.Default, "checksum, TSO4, TSO6, USO4, USO6")]
    [InlineData(TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6, "checksum, TSO4, TSO6")]
    [InlineData(TunOffloads.None, "none")]
    public void the_boot_log_names_each_offload_the_kernel_took(TunOffloads offloads, string expected) =>
        Assert.Equal(expected, TunOffloadNames.Describe(offloads));
}
