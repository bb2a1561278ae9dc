using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tracking;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>A policy with more clients than the connection table can count is refused when it is loaded, not on some later packet.</summary>
public class ClientCountTests
{
    private static readonly EngineOptions OneClientOnly = Options with { Limits = new ConnectionLimits { MaxClients = 1 } };

    [Fact]
    public void booting_a_policy_with_more_clients_than_the_table_counts_is_refused_with_a_message_naming_the_limit()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new PacketEngine(Policy(["action=accept"], ["action=accept"], version: 1), OneClientOnly));

        Assert.Contains("MaxClients", error.Message);
    }

    [Fact]
    public void swapping_in_a_policy_with_too_many_clients_is_refused_and_the_old_policy_keeps_working()
    {
        var engine = new PacketEngine(WorkOnly(["action=accept"], version: 1), OneClientOnly);

        Assert.ThrowsAny<ArgumentException>(() => engine.Swap(Policy(["action=accept"], ["action=accept"], version: 2), Start));

        Assert.Equal(1, engine.Policy.Version);
        var datagram = Packets.Udp(Work4, Remote4, 5000, 53, payload: 8);
        var outcome = engine.Process(datagram, datagram.Length, 0, Start, new byte[1500]);
        Assert.True(outcome.Forwarded, outcome.Reason.ToString());
    }
}
