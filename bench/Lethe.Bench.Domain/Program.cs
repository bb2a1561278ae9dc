using BenchmarkDotNet.Running;

namespace Lethe.Bench.Domain;

/// <summary>Domain measurements: folding a policy's event log, diffing two versions (bench/README.md has the commands).</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
