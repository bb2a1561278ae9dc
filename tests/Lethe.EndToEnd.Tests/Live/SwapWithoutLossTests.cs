using System.Net;
using System.Net.Sockets;
using System.Text;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// A swap that still allows a flow costs it nothing: a numbered UDP stream echoed through the
/// firewall while a new version is published and swapped in comes back whole, every datagram once.
/// Runs its own policy and firewall.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class SwapWithoutLossTests(LiveLab lab)
{
    private const string Policy = "keep";
    private const int MaxDatagrams = 30_000;

    [LinuxRootFact]
    public async Task an_allowed_udp_stream_loses_no_datagram_while_a_new_version_is_swapped_in()
    {
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, Policy,
            new LiveClient(Client1, LivePolicy.Addresses1, [$"action=accept proto=udp dstports={Ports.Echo}", "action=drop"]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        await using var net = await LiveTopology.Start(lab.Host, Policy, watchSeconds: 0.2);

        using var socket = net.Client1.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        socket.ReceiveBufferSize = 4 << 20;
        // The receiver stops after this much silence, once the stream is over.
        socket.ReceiveTimeout = 3000;
        socket.Connect(new IPEndPoint(UplinkV4, Ports.Echo));
        var received = new bool[MaxDatagrams];
        var receiver = Task.Run(() => Receive(socket, received));

        // About 1,000 datagrams a second, from before the publish until well after the swap.
        var publish = Task.CompletedTask;
        var sent = 0;
        var lastToSend = MaxDatagrams;
        for (; sent < lastToSend; sent++)
        {
            if (sent == 500)
            {
                publish = Task.Run(async () =>
                {
                    await PublishedPolicy.Send(http, $"/policies/{Policy}/clients/{Client1}/rules",
                        new { rule = $"action=accept proto=tcp dstports={Ports.Bulk}", reason = "unrelated to the stream" });
                    await PublishedPolicy.Send(http, $"/policies/{Policy}/publish", new { reason = "v2" });
                });
            }
            if (lastToSend == MaxDatagrams && net.Firewall!.Out.Contains($"swapped to policy {Policy} version 2", StringComparison.Ordinal))
            {
                lastToSend = sent + 500;
            }
            socket.Send(Encoding.ASCII.GetBytes($"seq {sent}"));
            if (sent % 10 == 9)
            {
                await Task.Delay(10);
            }
        }
        await publish;
        Assert.True(lastToSend < MaxDatagrams, $"the swap did not happen while {MaxDatagrams} datagrams were sent\n{net.Describe()}");
        var swapLine = net.Firewall!.Out.Split('\n').Single(l => l.Contains("swapped to", StringComparison.Ordinal));
        await receiver;

        var missing = Enumerable.Range(0, sent).Where(n => !received[n]).ToList();
        Assert.True(missing.Count == 0,
            $"{missing.Count} of {sent} datagrams did not come back (first: {string.Join(", ", missing.Take(10))}); {swapLine}\n{net.Describe()}");
        Assert.EndsWith("cut 0 flow(s) the new policy no longer allows", swapLine.TrimEnd());
    }

    private static void Receive(Socket socket, bool[] received)
    {
        var buffer = new byte[64];
        try
        {
            while (true)
            {
                var text = Encoding.ASCII.GetString(buffer, 0, socket.Receive(buffer));
                if (text.StartsWith("seq ", StringComparison.Ordinal) && int.TryParse(text[4..], out var n) && (uint)n < (uint)received.Length)
                {
                    received[n] = true;
                }
            }
        }
        catch (SocketException)
        {
            // silence: the stream is over
        }
    }
}
