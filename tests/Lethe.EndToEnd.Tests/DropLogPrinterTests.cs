using Lethe.Domain.Snapshots;
using Lethe.Firewall;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests;

/// <summary>How <c>boot --log-drops N</c> turns the workers' drops into at most N lines a second and a count.</summary>
public sealed class DropLogPrinterTests
{
    private static readonly ActivePolicy Policy = MakePolicy();

    private static ActivePolicy MakePolicy()
    {
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
            [new SnapshotClient("work", ["10.137.0.5"], [new SnapshotRule("r-drop", "action=drop")])]);
        var compiled = CompiledPolicy.Compile(content, []);
        return new ActivePolicy(compiled, 2, compiled.CreateHostTable());
    }

    /// <summary>A dropped UDP datagram to <paramref name="port"/>, noted at <paramref name="atMs"/>.</summary>
    private static void Drop(DropLog log, long atMs, ushort port)
    {
        var info = new PacketInfo
        {
            Version = 4,
            Source = NetAddress.Parse("10.137.0.5"),
            Destination = NetAddress.Parse("203.0.113.7"),
            Protocol = IpProtocol.Udp,
            SourcePort = 40000,
            DestinationPort = port,
        };
        log.Add(atMs, info, parsed: true, length: 28, new PacketOutcome { Reason = DropReason.RuleDrop, Client = 0, RuleIndex = 0 }, ingress: 0, Policy);
    }

    private static string[] Lines(StringWriter output) =>
        output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void the_workers_drops_are_written_oldest_first_whichever_worker_noted_them()
    {
        var (first, second) = (new DropLog(16), new DropLog(16));
        Drop(first, 10, 1);
        Drop(second, 11, 2);
        Drop(first, 12, 3);
        Drop(second, 13, 4);
        var output = new StringWriter();

        new DropLogPrinter([first, second], 10, output).Print();

        var ports = Lines(output).Select(l => l.Split(" -> 203.0.113.7:")[1].Split(' ')[0]).ToArray();
        Assert.Equal(["1", "2", "3", "4"], ports);
    }

    [Fact]
    public void beyond_the_lines_a_second_the_drops_are_counted_in_one_line()
    {
        var log = new DropLog(16);
        for (var i = 0; i < 12; i++)
        {
            Drop(log, i, (ushort)(100 + i));
        }
        var output = new StringWriter();

        new DropLogPrinter([log], 5, output).Print();

        var lines = Lines(output);
        Assert.Equal(6, lines.Length);
        Assert.All(lines[..5], l => Assert.StartsWith("drop rule-drop (rule r-drop): udp 10.137.0.5:40000 -> 203.0.113.7:10", l));
        Assert.Equal("drop log: 7 more dropped packet(s) not logged (--log-drops 5: at most 5 line(s) a second)", lines[5]);
    }

    [Fact]
    public void drops_a_full_ring_could_not_keep_are_counted_too_and_only_once()
    {
        var log = new DropLog(16);
        for (var i = 0; i < 19; i++)
        {
            Drop(log, i, 53);
        }
        var output = new StringWriter();
        var printer = new DropLogPrinter([log], 100, output);

        printer.Print();
        printer.Print();

        var lines = Lines(output);
        Assert.Equal(17, lines.Length);
        Assert.Equal("drop log: 3 more dropped packet(s) not logged (--log-drops 100: at most 100 line(s) a second)", lines[16]);
    }

    [Fact]
    public void a_second_without_drops_writes_nothing()
    {
        var output = new StringWriter();
        new DropLogPrinter([new DropLog(16), new DropLog(16)], 10, output).Print();
        Assert.Equal("", output.ToString());
    }
}
