using BenchmarkDotNet.Running;

namespace Lethe.Bench.Domain;

/// <summary>Domain measurements: folding a policy's event log (README.md has the command).</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
