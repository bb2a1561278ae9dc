using BenchmarkDotNet.Running;

namespace Lethe.Bench.PacketPath;

/// <summary>
/// Packet-path measurements of issue 3 ("Measure"): classification per new flow (compiled vs linear
/// first match) and the engine on an established, NATed TCP flow; and (issue 4) coalescing a burst
/// of UDP datagrams into one USO packet. See README.md for the commands.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
