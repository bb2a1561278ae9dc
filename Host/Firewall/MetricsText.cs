using System.Globalization;
using System.Text;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>The engine's in-memory counters in the Prometheus text exposition format.</summary>
public static class MetricsText
{
    public static string Render(PacketEngine engine)
    {
        var policy = engine.Policy;
        var compiled = policy.Compiled;
        var text = new StringBuilder();
        text.Append("# HELP lethe_snapshot_version The snapshot version the firewall runs.\n# TYPE lethe_snapshot_version gauge\n");
        Line(text, "lethe_snapshot_version", "", policy.Version);
        text.Append("# HELP lethe_forwarded_packets_total Packets forwarded.\n# TYPE lethe_forwarded_packets_total counter\n");
        Line(text, "lethe_forwarded_packets_total", "", engine.ForwardedPackets);
        text.Append("# HELP lethe_forwarded_bytes_total Bytes forwarded.\n# TYPE lethe_forwarded_bytes_total counter\n");
        Line(text, "lethe_forwarded_bytes_total", "", engine.ForwardedBytes);
        text.Append("# HELP lethe_drops_total Packets dropped, by reason.\n# TYPE lethe_drops_total counter\n");
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            if (reason != DropReason.None)
            {
                Line(text, "lethe_drops_total", $"reason=\"{VerdictNames.Of(reason)}\"", engine.Drops[(int)reason]);
            }
        }
        text.Append("# HELP lethe_client_packets_total Packets forwarded per client (this snapshot).\n# TYPE lethe_client_packets_total counter\n");
        for (var c = 0; c < compiled.ClientCount; c++)
        {
            Line(text, "lethe_client_packets_total", $"client=\"{compiled.ClientName(c)}\"", policy.ClientPackets[c]);
        }
        text.Append("# HELP lethe_client_bytes_total Bytes forwarded per client (this snapshot).\n# TYPE lethe_client_bytes_total counter\n");
        for (var c = 0; c < compiled.ClientCount; c++)
        {
            Line(text, "lethe_client_bytes_total", $"client=\"{compiled.ClientName(c)}\"", policy.ClientBytes[c]);
        }
        text.Append("# HELP lethe_rule_hits_total New flows each rule decided (this snapshot).\n# TYPE lethe_rule_hits_total counter\n");
        for (var c = 0; c < compiled.ClientCount; c++)
        {
            for (var r = 0; r < compiled.RuleCount(c); r++)
            {
                Line(text, "lethe_rule_hits_total", $"client=\"{compiled.ClientName(c)}\",rule=\"{compiled.RuleId(c, r)}\"", policy.RuleHits[c][r]);
            }
        }
        text.Append("# HELP lethe_tracked_flows Flows in the connection table.\n# TYPE lethe_tracked_flows gauge\n");
        Line(text, "lethe_tracked_flows", "", engine.Connections.Count);
        return text.ToString();
    }

    private static void Line(StringBuilder text, string name, string labels, long value) =>
        text.Append(name).Append(labels.Length > 0 ? "{" + labels + "}" : "").Append(' ')
            .Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
