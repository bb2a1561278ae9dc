using System.Diagnostics;
using System.Text;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tests;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Wire;
using Xunit.Abstractions;

namespace Lethe.EndToEnd.Tests.Nft.Conntrack;

/// <summary>
/// Lethe's engine against the kernel's conntrack under the ruleset <c>lethe-firewall nft</c> prints,
/// on random packet sequences of one flow each: every packet goes to both, and both must pass or
/// drop it alike and, when they pass it, send on the same bytes (translation, checksums). TCP's known
/// differences (README, "Known differences in connection tracking (TCP)") are reported, not failed.
/// LETHE_CT_SEED and LETHE_CT_FLOWS (default 1 and 300, about 2,500 packets) pick a longer run; the
/// report, which sorts the flows that differ by their first difference (the later ones mostly follow
/// from it, once the two firewalls' views of the flow have parted), with one whole flow of each kind
/// packet by packet, goes to
/// LETHE_CT_REPORT (default /tmp/ctdiff-report.txt), and every such flow to the same name with .flows.
/// </summary>
public sealed class ConntrackDifferentialTests(ITestOutputHelper output)
{
    private static readonly SnapshotContent Content = new(SnapshotContent.CurrentFormat, "ct",
    [
        new SnapshotClient("work", [FlowScript.Client4, FlowScript.Client6],
        [
            new SnapshotRule("r-telnet", "action=drop proto=tcp dstports=23"),
            new SnapshotRule("r-24", "action=reject proto=udp dstports=24"),
            new SnapshotRule("r-all", "action=accept"),
        ]),
    ]);

    [LinuxRootFact]
    public void random_flows_pass_and_leave_through_lethe_as_through_the_kernel()
    {
        Assert.Null(NftCheck.WhyNot());
        var seed = int.TryParse(Environment.GetEnvironmentVariable("LETHE_CT_SEED"), out var s) ? s : 1;
        var flows = int.TryParse(Environment.GetEnvironmentVariable("LETHE_CT_FLOWS"), out var f) ? f : 300;
        var random = new Random(seed);
        var compiled = CompiledPolicy.Compile(Content, []);
        var engine = new PacketEngine(new ActivePolicy(compiled, 1, compiled.CreateHostTable()), new EngineOptions
        {
            UplinkV4 = NetAddress.Parse(FlowScript.Uplink4),
            UplinkV6 = NetAddress.Parse(FlowScript.Uplink6),
            Seed = 42,
        });
        var work = compiled.ClientIndex("work");
        using var kernel = KernelFirewall.Start(Content, FlowScript.Uplink4, FlowScript.Uplink6);
        var clock = Stopwatch.StartNew();
        // Flows by their first difference, and every kind of difference seen at any step (for the assertion).
        var differences = new Dictionary<string, List<string>>();
        var anyStep = new HashSet<string>();
        var (packets, differing) = (0, 0);
        var reply = new byte[2048];
        for (var flow = 0; flow < flows; flow++)
        {
            var script = new FlowScript(random, (ushort)(20000 + flow * 4));
            var (lethe, linux) = (new FlowView(), new FlowView());
            var log = new StringBuilder(script.Describe + "\n");
            string? first = null;
            foreach (var step in script.Steps)
            {
                packets++;
                var forLethe = step.Build(lethe);
                var buffer = forLethe.ToArray();
                var outcome = engine.Process(buffer, buffer.Length, step.FromUplink ? Ingress.Uplink : work, 1_800_000_000_000 + clock.ElapsedMilliseconds, reply);
                var letheOut = outcome.Forwarded ? buffer[..outcome.Length] : null;
                var letheAnswer = outcome.ReplyLength > 0 ? reply[..outcome.ReplyLength] : null;

                var (toClient, toUplink) = kernel.Send(step.Build(linux), step.FromUplink);
                var kernelOut = step.FromUplink ? toClient : toUplink;
                var kernelAnswers = step.FromUplink ? toUplink : toClient;

                var letheSays = letheOut is null ? $"drop {outcome.Reason}" : "pass " + PacketText.Describe(letheOut);
                var kernelSays = kernelOut.Count == 0 ? "drop" : "pass " + string.Join(" + ", kernelOut.Select(PacketText.Describe));
                log.Append($"  {step.Name}: lethe {letheSays}{(letheAnswer is null ? "" : " answer " + PacketText.Describe(letheAnswer))}; " +
                    $"kernel {kernelSays}{(kernelAnswers.Count == 0 ? "" : " answer " + string.Join(" + ", kernelAnswers.Select(PacketText.Describe)))}\n");

                string? difference = null;
                var name = System.Text.RegularExpressions.Regex.Replace(step.Name, @"[-+]?\d+", "N");
                if ((letheOut is null) != (kernelOut.Count == 0))
                {
                    difference = $"{script.Protocol} {name}: lethe {(letheOut is null ? "drop " + outcome.Reason : "pass")}, kernel {(kernelOut.Count == 0 ? "drop" : "pass")}";
                }
                else if (letheOut is not null && !letheOut.AsSpan().SequenceEqual(kernelOut[0]))
                {
                    difference = $"{script.Protocol} {name}: passed unlike";
                    log.Append($"    unlike: {Unlike(letheOut, kernelOut[0])}\n");
                }
                else if (!step.FromUplink && PacketText.Kind(letheAnswer) != PacketText.Kind(kernelAnswers.FirstOrDefault()))
                {
                    difference = $"{script.Protocol} {name}: answered lethe {PacketText.Kind(letheAnswer)}, kernel {PacketText.Kind(kernelAnswers.FirstOrDefault())}";
                }
                if (difference is not null)
                {
                    log.Append(first is null ? "    ^ DIFFERS FIRST\n" : "    ^ differs\n");
                    first ??= difference;
                    anyStep.Add(difference);
                    differing++;
                }

                if (!step.FromUplink)
                {
                    if (letheOut is not null && letheOut.Length > 0 && outcome.Egress == Ingress.Uplink)
                    {
                        lethe.LastOut = letheOut;
                        lethe.Translated ??= Packets.Parse(letheOut).SourcePort;
                    }
                    if (kernelOut.Count > 0)
                    {
                        linux.LastOut = kernelOut[0];
                        linux.Translated ??= Packets.Parse(kernelOut[0]).SourcePort;
                    }
                }
            }
            if (first is not null)
            {
                if (!differences.TryGetValue(first, out var seen))
                {
                    differences[first] = seen = [];
                }
                seen.Add(log.ToString());
            }
        }
        var report = new StringBuilder($"{packets} packets in {flows} flows (seed {seed}); {differing} differ, in " +
            $"{differences.Sum(d => d.Value.Count)} flows, whose first differences are of {differences.Count} kinds\n");
        foreach (var (kind, cases) in differences.OrderByDescending(d => d.Value.Count))
        {
            report.Append($"\n== {cases.Count} flows first differ in {kind}\n{cases[0]}");
        }
        var path = Environment.GetEnvironmentVariable("LETHE_CT_REPORT") ?? "/tmp/ctdiff-report.txt";
        File.WriteAllText(path, report.ToString());
        // Every flow that differs, by kind, beside it: a kind's first flow may not show each way into it.
        File.WriteAllText(path + ".flows", string.Concat(differences.OrderByDescending(d => d.Value.Count)
            .SelectMany(d => d.Value.Select(flow => $"\n== {d.Key}\n{flow}"))));
        output.WriteLine(report.ToString());
        // TCP differs in known ways (README, "Known differences in connection tracking (TCP)"); the
        // firewalls' own answers differ by their rate limits. UDP and ICMP, related errors included, must pass and leave byte for byte alike.
        Assert.DoesNotContain(anyStep, d => !d.StartsWith($"{IpProtocol.Tcp} ", StringComparison.Ordinal) && !d.Contains(": answered ", StringComparison.Ordinal));
    }

    /// <summary>Where two packets that both passed differ, byte by byte.</summary>
    private static string Unlike(byte[] lethe, byte[] kernel)
    {
        if (lethe.Length != kernel.Length)
        {
            return $"length {lethe.Length} vs {kernel.Length}";
        }
        var at = new List<int>();
        for (var i = 0; i < lethe.Length; i++)
        {
            if (lethe[i] != kernel[i])
            {
                at.Add(i);
            }
        }
        return "bytes " + string.Join(",", at.Take(12));
    }
}
