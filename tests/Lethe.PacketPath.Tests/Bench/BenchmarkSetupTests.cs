using Lethe.Bench.PacketPath;

namespace Lethe.PacketPath.Tests.Bench;

/// <summary>
/// The packet-path benchmarks still measure what their names say: a change to the code they drive
/// (a coalescing rule, a NAT shortcut) would otherwise leave them throwing in setup, every case NA.
/// </summary>
public class BenchmarkSetupTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void the_coalescing_benchmark_coalesces_its_bursts(bool v6)
    {
        var bench = new CoalescingBenchmarks { V6 = v6 };
        bench.Setup();

        Assert.True(bench.BurstOf8());
        Assert.True(bench.BurstOf46());
    }

    [Fact]
    public void the_nat_search_benchmark_searches_a_full_range_and_finds_the_first_port_of_an_empty_one()
    {
        var bench = new NatSearchBenchmarks();
        bench.Setup();

        Assert.False(bench.RangeFull());
        Assert.True(bench.FirstPortFree());
    }

    [Theory]
    [InlineData("allow")]
    [InlineData("block")]
    public void the_dsthost_benchmark_decides_by_the_last_names_rule_and_the_final_rule(string kind)
    {
        var bench = new DsthostClassificationBenchmarks { Names = 100, Kind = kind };
        bench.Setup(); // throws unless the compiled and linear classifiers agree on both packets

        Assert.Equal(99, bench.Named().RuleIndex);
        Assert.Equal(100, bench.Unnamed().RuleIndex);
    }
}
