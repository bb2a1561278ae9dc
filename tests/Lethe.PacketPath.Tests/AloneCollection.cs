namespace Lethe.PacketPath.Tests;

/// <summary>
/// Tests that wait on real time (a DNS try's timeout) or that fill a CPU on purpose (the poll guard's
/// busy threads) run on their own, after the rest: beside the parallel tests of this 2-core machine,
/// a loopback DNS server was once late past its try's timeout.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}
