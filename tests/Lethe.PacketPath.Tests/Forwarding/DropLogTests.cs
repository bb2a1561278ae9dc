using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tests.Classification;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Forwarding;

/// <summary>The ring a worker notes its drops in for <c>boot --log-drops</c>, and the reader's side of it.</summary>
public sealed class DropLogTests
{
    private static readonly ActivePolicy Policy = new(Fixtures.Single("action=drop"), 3, Fixtures.Single("action=drop").CreateHostTable());

    private static void Drop(DropLog log, int port, DropReason reason = DropReason.RuleDrop)
    {
        var packet = Fixtures.Packet("198.51.100.7", IpProtocol.Tcp, (ushort)port);
        var outcome = new PacketOutcome { Reason = reason, Client = 0, RuleIndex = 0 };
        log.Add(port, packet, parsed: true, length: 40, outcome, ingress: 0, Policy);
    }

    [Fact]
    public void drops_come_out_in_the_order_the_worker_noted_them_with_what_it_saw()
    {
        var log = new DropLog(16);
        Drop(log, 22);
        Drop(log, 23, DropReason.NoRuleMatched);

        Assert.True(log.TryTake(out var first));
        Assert.Equal((22L, (ushort)22, DropReason.RuleDrop, 3), (first.AtMs, first.Packet.DestinationPort, first.Reason, first.Policy.Version));
        Assert.True(log.TryTake(out var second));
        Assert.Equal((ushort)23, second.Packet.DestinationPort);
        Assert.Equal(DropReason.NoRuleMatched, second.Reason);
        Assert.False(log.TryTake(out _));
        Assert.Equal(0, log.Missed);
    }

    [Fact]
    public void a_full_ring_counts_the_drops_it_cannot_keep_and_keeps_the_oldest()
    {
        var log = new DropLog(16);
        for (var port = 1; port <= 20; port++)
        {
            Drop(log, port);
        }

        Assert.Equal(4, log.Missed);
        var ports = new List<int>();
        while (log.TryTake(out var drop))
        {
            ports.Add(drop.Packet.DestinationPort);
        }
        Assert.Equal(Enumerable.Range(1, 16), ports);
    }

    [Fact]
    public void what_the_reader_took_makes_room_again()
    {
        var log = new DropLog(16);
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < 16; i++)
            {
                Drop(log, round * 100 + i);
            }
            for (var i = 0; i < 16; i++)
            {
                Assert.True(log.TryTake(out var drop));
                Assert.Equal(round * 100 + i, drop.Packet.DestinationPort);
            }
        }
        Assert.Equal(0, log.Missed);
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(16, 16)]
    [InlineData(17, 32)]
    [InlineData(1_000, 1_024)]
    [InlineData(1_000_000, DropLog.MaxCapacity)]
    public void the_ring_holds_at_least_a_seconds_lines_within_its_bounds(int asked, int capacity) =>
        Assert.Equal(capacity, new DropLog(asked).Capacity);

    [Fact]
    public async Task a_reader_on_another_thread_gets_every_drop_once_or_its_count()
    {
        var log = new DropLog(64);
        const int Drops = 200_000;
        var seen = 0L;
        var last = -1L;
        var inOrder = true;
        var reader = Task.Run(() =>
        {
            while (seen + log.Missed < Drops)
            {
                while (log.TryTake(out var drop))
                {
                    inOrder &= drop.AtMs > last;
                    last = drop.AtMs;
                    seen++;
                }
            }
        });
        var packet = Fixtures.Packet("198.51.100.7", IpProtocol.Udp, 53);
        var outcome = new PacketOutcome { Reason = DropReason.NoRuleMatched, Client = -1, RuleIndex = -1 };
        for (var i = 0; i < Drops; i++)
        {
            log.Add(i, packet, parsed: true, length: 28, outcome, ingress: 0, Policy);
        }
        await reader.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(Drops, seen + log.Missed);
        Assert.True(inOrder, "a drop came out of order or twice");
    }
}
