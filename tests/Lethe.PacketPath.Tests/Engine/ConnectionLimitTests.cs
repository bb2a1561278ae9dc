using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>When the table or a client's quota is full, new flows are refused and established ones carry on.</summary>
public class ConnectionLimitTests
{
    private static EngineLab Lab(int capacity, int quota) =>
        new(["action=accept"], options: Options with { Limits = new ConnectionLimits { Capacity = capacity, PerClientQuota = quota } });

    private static ushort OpenUdp(EngineLab lab, string client, ushort port)
    {
        var ingress = client == Work4 ? lab.Work : lab.Personal;
        return lab.Through(Packets.Udp(client, Remote4, port, 53, payload: 8), ingress).Info.SourcePort;
    }

    [Fact]
    public void a_full_table_refuses_new_flows_and_keeps_established_ones()
    {
        var lab = Lab(capacity: 2, quota: 2);
        var workPort = OpenUdp(lab, Work4, 5000);
        var personalPort = OpenUdp(lab, Personal4, 5000);

        var refused = lab.FromWork(Packets.Udp(Work4, Remote4, 5001, 53, payload: 8));

        Assert.False(refused.Forwarded);
        Assert.Equal(DropReason.ConnectionTableFull, refused.Reason);
        Assert.True(lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, workPort, payload: 8)).Forwarded);
        Assert.True(lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, personalPort, payload: 8)).Forwarded);
        Assert.True(lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 53, payload: 8)).Forwarded);
        Assert.Equal(1, lab.Engine.Drops[(int)DropReason.ConnectionTableFull]);
    }

    [Fact]
    public void a_client_whose_flows_have_all_timed_out_is_not_refused_for_them()
    {
        var lab = Lab(capacity: 8192, quota: 2048);
        for (var i = 0; i < 2048; i++)
        {
            // A burst of lookups up to the quota (UDP: dead 30 s later).
            Assert.True(lab.FromWork(Packets.Udp(Work4, Remote4, (ushort)(10_000 + i), 53, payload: 8)).Forwarded);
        }
        for (var i = 0; i < 2048; i++)
        {
            // Another client's connections, which live on (picked up midway: 300 s).
            Assert.True(lab.FromPersonal(Packets.Tcp(Personal4, Remote4, (ushort)(10_000 + i), 443, TcpFlags.Ack)).Forwarded);
        }
        lab.Now += 31_000;

        var next = lab.FromWork(Packets.Udp(Work4, Remote4, 20_000, 53, payload: 8));

        Assert.True(next.Forwarded, next.Reason.ToString());
        Assert.Equal(2048 + 1, lab.Engine.Connections.Count);
    }

    [Fact]
    public void a_client_at_its_quota_is_refused_as_such_before_any_nat_port_is_searched()
    {
        // Two ports towards the resolver, both taken by work: a NAT search would say exhausted, but the quota refuses first, for nothing.
        var lab = new EngineLab(["action=accept"], options: Options with
        {
            Limits = new ConnectionLimits { Capacity = 16, PerClientQuota = 2 },
            NatPorts = new Lethe.PacketPath.Nat.PortRange(40000, 40001),
        });
        OpenUdp(lab, Work4, 5000);
        OpenUdp(lab, Work4, 5001);

        var refused = lab.FromWork(Packets.Udp(Work4, Remote4, 5002, 53, payload: 8));
        var otherClient = lab.FromPersonal(Packets.Udp(Personal4, Remote4, 5000, 53, payload: 8));

        Assert.Equal(DropReason.ClientQuotaExceeded, refused.Reason);
        Assert.Equal(DropReason.NatPortsExhausted, otherClient.Reason);
    }

    [Fact]
    public void a_client_over_its_quota_is_refused_while_other_clients_still_open_flows()
    {
        var lab = Lab(capacity: 16, quota: 2);
        var first = OpenUdp(lab, Work4, 5000);
        OpenUdp(lab, Work4, 5001);

        var refused = lab.FromWork(Packets.Udp(Work4, Remote4, 5002, 53, payload: 8));
        var personal = lab.FromPersonal(Packets.Udp(Personal4, Remote4, 5002, 53, payload: 8));

        Assert.Equal(DropReason.ClientQuotaExceeded, refused.Reason);
        Assert.True(personal.Forwarded);
        Assert.True(lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, first, payload: 8)).Forwarded);
    }

    [Fact]
    public void room_comes_back_when_a_flow_times_out()
    {
        var lab = Lab(capacity: 1, quota: 1);
        OpenUdp(lab, Work4, 5000);

        lab.Now += (long)ConnectionTimeouts.Default.UdpUnreplied.TotalMilliseconds;
        var later = lab.FromWork(Packets.Udp(Work4, Remote4, 5001, 53, payload: 8));

        Assert.True(later.Forwarded, later.Reason.ToString());
        Assert.True(later.Outcome.NewFlow);
    }

    [Fact]
    public void after_the_clients_are_reordered_each_quota_still_counts_only_that_clients_flows()
    {
        var lab = Lab(capacity: 16, quota: 2);
        OpenUdp(lab, Work4, 5000);
        OpenUdp(lab, Work4, 5001);

        lab.Engine.Swap(Policy(["action=accept"], ["action=accept"], version: 2, personalFirst: true), lab.Now);
        var personal = lab.FromPersonal(Packets.Udp(Personal4, Remote4, 5000, 53, payload: 8));
        var workThird = lab.FromWork(Packets.Udp(Work4, Remote4, 5002, 53, payload: 8));

        Assert.True(personal.Forwarded, personal.Reason.ToString());
        Assert.Equal(DropReason.ClientQuotaExceeded, workThird.Reason);
    }

    [Fact]
    public void a_client_added_by_a_swap_gets_a_quota_of_its_own()
    {
        var lab = new EngineLab(["action=accept"], options: Options with { Limits = new ConnectionLimits { Capacity = 16, PerClientQuota = 1, MaxClients = 2 } });
        OpenUdp(lab, Work4, 5000);

        lab.Engine.Swap(WorkOnly(["action=accept"], version: 2), lab.Now);
        lab.Engine.Swap(Policy(["action=accept"], ["action=accept"], version: 3, personalFirst: true), lab.Now);
        var personal = lab.FromPersonal(Packets.Udp(Personal4, Remote4, 5000, 53, payload: 8));
        var work = lab.FromWork(Packets.Udp(Work4, Remote4, 5001, 53, payload: 8));

        Assert.True(personal.Forwarded, personal.Reason.ToString());
        Assert.Equal(DropReason.ClientQuotaExceeded, work.Reason);
    }

    /// <summary>Opens and closes a connection (FIN both ways, last ACK): it stays in TIME_WAIT.</summary>
    private static void OpenAndClose(EngineLab lab, string client, ushort port)
    {
        var ingress = client == Work4 ? lab.Work : lab.Personal;
        var nat = lab.Through(Packets.Tcp(client, Remote4, port, 443, TcpFlags.Syn, sequence: 100), ingress).Info.SourcePort;
        Assert.True(lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, nat, TcpFlags.Syn | TcpFlags.Ack, sequence: 900, acknowledgement: 101)).Forwarded);
        lab.Through(Packets.Tcp(client, Remote4, port, 443, TcpFlags.Ack, sequence: 101, acknowledgement: 901), ingress);
        lab.Through(Packets.Tcp(client, Remote4, port, 443, TcpFlags.Fin | TcpFlags.Ack, sequence: 101, acknowledgement: 901), ingress);
        Assert.True(lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, nat, TcpFlags.Fin | TcpFlags.Ack, sequence: 901, acknowledgement: 102)).Forwarded);
        lab.Through(Packets.Tcp(client, Remote4, port, 443, TcpFlags.Ack, sequence: 102, acknowledgement: 902), ingress);
    }

    [Fact]
    public void a_client_whose_connections_have_all_closed_may_open_another_at_once()
    {
        var lab = Lab(capacity: 64, quota: 4);
        for (ushort port = 40000; port < 40004; port++)
        {
            OpenAndClose(lab, Work4, port);
        }
        lab.Now += 1_000;

        var next = lab.FromWork(Packets.Tcp(Work4, Remote4, 40004, 443, TcpFlags.Syn, sequence: 100));

        Assert.True(next.Forwarded, $"refused ({next.Reason}) while the client's only flows are closed ones in TIME_WAIT");
        Assert.Equal(4, lab.Engine.Connections.Count); // the oldest finished one made room
    }

    [Fact]
    public void a_full_table_makes_room_from_a_finished_connection_but_never_from_an_open_one()
    {
        var lab = Lab(capacity: 3, quota: 4);
        OpenAndClose(lab, Personal4, 40000); // finished: TIME_WAIT
        var open = lab.Through(Packets.Tcp(Work4, Remote4, 40001, 443, TcpFlags.Syn, sequence: 100), lab.Work).Info.SourcePort;
        Assert.True(lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, open, TcpFlags.Syn | TcpFlags.Ack, sequence: 900, acknowledgement: 101)).Forwarded);
        OpenUdp(lab, Work4, 5000);

        var taken = lab.FromWork(Packets.Udp(Work4, Remote4, 5001, 53, payload: 8));
        var refused = lab.FromWork(Packets.Udp(Work4, Remote4, 5002, 53, payload: 8));

        Assert.True(taken.Forwarded, taken.Reason.ToString());
        Assert.Equal(DropReason.ConnectionTableFull, refused.Reason);
        Assert.True(lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, open, TcpFlags.Ack, sequence: 901, acknowledgement: 101)).Forwarded);
    }
}
