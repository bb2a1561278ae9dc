using System.Net;
using Lethe.EndToEnd.Tests.Live;
using Lethe.Firewall.Nft;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Nft.NftScripts;

namespace Lethe.EndToEnd.Tests.Nft;

/// <summary>
/// nft writes <c>meta time &lt; E</c> as E × 10^9 ns in the 64 bits of the kernel's clock, which wraps from
/// 2554 on: a rule expiring that late, loaded into a kernel firewall, still matches as in Lethe.
/// </summary>
public sealed class NftFarExpireLiveTests
{
    [LinuxRootTheory]
    [InlineData(20_000_000_000L)]   // year 2603: wraps to 2019
    [InlineData(18_446_744_074L)]   // 2554 + 1 s: wraps to 1970
    [InlineData(253_402_300_799L)]  // the last expire the control plane takes: wraps to 2400
    public async Task a_drop_rule_expiring_far_in_the_future_still_drops_as_in_lethe(long expire)
    {
        Assert.Null(NftCheck.WhyNot());
        using var lab = new NftLiveLab();
        var script = NftRenderer.Render(Policy(("work", [NftLiveLab.ClientV4, NftLiveLab.ClientV6],
            [("r-block", $"action=drop proto=tcp dstports=7000 expire={expire}"), ("r-all", "action=accept")])), new NftOptions
        {
            NowUnix = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            UplinkInterface = lab.Uplink,
            ClientInterfaces = new Dictionary<string, IReadOnlyList<string>> { ["work"] = [lab.ClientLink] },
            UplinkV4 = IPAddress.Parse(NftLiveLab.FirewallUplinkV4),
        });
        lab.Load(script);
        using var service = TcpEcho.Start(lab.Outside, 7000);

        var seen = await Probe.TcpEcho(lab.Client, IPAddress.Parse(NftLiveLab.OutsideV4), 7000);

        Assert.Equal(Seen.AdminProhibited(false), seen);   // as Lethe answers it
    }
}
