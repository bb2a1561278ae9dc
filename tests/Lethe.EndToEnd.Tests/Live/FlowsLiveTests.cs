using System.Text.RegularExpressions;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>`/flows` beside `/metrics`: an operator sees each open connection, its client and its translation.</summary>
[Collection(LiveCollection.Name)]
public sealed class FlowsLiveTests(LiveLab lab)
{
    [LinuxRootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task an_open_connection_is_listed_established_with_its_client_and_the_address_it_leaves_as(bool v6)
    {
        var net = await lab.Shared();
        using var session = await TcpSession.Require(net.Client1, Uplink(v6), Ports.Echo, $"c1 -> uplink host TCP {Ports.Echo} over {Family(v6)}");
        Assert.Equal(Seen.Echoed, await session.Echo("listed"));
        var local = session.Local;
        var line = new Regex(
            $@"^tcp established client {Client1} {End(Client1Address(v6), v6)}:{local.Port} -> {End(Uplink(v6), v6)}:{Ports.Echo} as {End(FirewallAddress(v6), v6)}:\d+, " +
            @"rule r-[0-9a-f]+, sent [\d,]+ packets [\d,]+ bytes, received [\d,]+ packets [\d,]+ bytes, idle \d+ s, expires in [\d,]+ s$", RegexOptions.Multiline);

        // The page is rendered at most once a second: wait for one rendered after the connection.
        var page = await Flows(net);
        var deadline = DateTime.UtcNow + Probe.Wait;
        while (!line.IsMatch(page) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            page = await Flows(net);
        }
        Assert.True(line.IsMatch(page), $"/flows does not list the connection from port {local.Port}:\n{page}\n{net.Describe()}");
        Assert.StartsWith("# ", page);
        Assert.Contains(" tracked flow(s), policy live version ", page.Split('\n')[0]);
    }

    private static string End(System.Net.IPAddress address, bool v6) => v6 ? $@"\[{Regex.Escape(address.ToString())}\]" : Regex.Escape(address.ToString());

    private static async Task<string> Flows(LiveTopology net)
    {
        using var http = new HttpClient();
        using var answer = await http.GetAsync($"http://127.0.0.1:{net.MetricsPort}/flows");
        answer.EnsureSuccessStatusCode();
        // Lines for people: plain UTF-8 text, not Prometheus's exposition format.
        Assert.Equal("text/plain", answer.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", answer.Content.Headers.ContentType?.CharSet);
        return await answer.Content.ReadAsStringAsync();
    }
}
