using System.Globalization;
using System.Text;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>The engine's in-memory counters in the Prometheus text exposition format.</summary>
public static class MetricsText
{
    /// <summary>Every worker's counters added up; per-policy counters cover the running snapshot only.</summary>
    public static string Render(Dataplane dataplane)
    {
        var workers = dataplane.Workers;
        var policy = workers[0].Engine.Policy;
        var compiled = policy.Compiled;
        // Each worker's policy read once: during a swap they differ, and one may change while the page is written.
        var numbered = new Numbering[workers.Count];
        for (var w = 0; w < workers.Count; w++)
        {
            numbered[w] = new Numbering(workers[w].Engine.Policy, compiled);
        }
        var text = new StringBuilder();
        text.Append("# HELP lethe_snapshot_version The snapshot version the firewall runs.\n# TYPE lethe_snapshot_version gauge\n");
        Line(text, "lethe_snapshot_version", "", policy.Version);
        text.Append("# HELP lethe_workers Worker threads, one per device queue.\n# TYPE lethe_workers gauge\n");
        Line(text, "lethe_workers", "", workers.Count);
        Counter(text, "lethe_received_packets_total", "Packets read from the devices (a segmentation-offload super-packet counts once).", workers, w => w.Counters.Received);
        Counter(text, "lethe_forwarded_packets_total", "Packets forwarded.", workers, w => w.Engine.ForwardedPackets);
        Counter(text, "lethe_forwarded_bytes_total", "Bytes forwarded.", workers, w => w.Engine.ForwardedBytes);
        Counter(text, "lethe_handed_off_packets_total", "Packets handed to the worker that owns their flow.", workers, w => w.Counters.HandedOff);
        Counter(text, "lethe_flows_cut_by_expiry_total", "Tracked flows cut because the rule that allowed them expired.", workers, w => w.Engine.FlowsCutByExpiry);
        Counter(text, "lethe_coalesced_udp_datagrams_total", "UDP datagrams written with others of their flow as one segmentation-offload packet.", workers, w => w.Counters.Coalesced);
        Counter(text, "lethe_split_packets_total", "Super-packets split for a device that cannot take them whole.", workers, w => w.Counters.Split);
        Counter(text, "lethe_fragmented_packets_total", "IPv4 packets without DF cut into fragments for a device whose MTU they exceed.", workers, w => w.Counters.Fragmented);
        text.Append("# HELP lethe_drops_total Packets dropped, by reason.\n# TYPE lethe_drops_total counter\n");
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            if (reason != DropReason.None)
            {
                // No device on the way in is the worker's to see, on the way out the engine's: one series.
                Line(text, "lethe_drops_total", $"reason=\"{VerdictNames.Of(reason)}\"",
                    Sum(workers, w => w.Engine.Drops[(int)reason] + (reason == DropReason.NoDevice ? w.Counters.NoDevice : 0)));
            }
        }
        Line(text, "lethe_drops_total", "reason=\"handoff-full\"", Sum(workers, w => w.Counters.HandoffFull));
        Line(text, "lethe_drops_total", "reason=\"offload-header-mismatch\"", Sum(workers, w => w.Counters.OffloadHeaderMismatch));
        Line(text, "lethe_drops_total", "reason=\"split-failed\"", Sum(workers, w => w.Counters.SplitFailed));
        Line(text, "lethe_drops_total", "reason=\"write-failed\"", Sum(workers, w => w.Counters.WriteFailed));
        text.Append("# HELP lethe_client_packets_total Packets forwarded per client (kept across swaps while the client is named).\n# TYPE lethe_client_packets_total counter\n");
        for (var c = 0; c < compiled.ClientCount; c++)
        {
            Line(text, "lethe_client_packets_total", $"client=\"{compiled.ClientName(c)}\"", Sum(numbered, n => n.ClientPackets(c)));
        }
        text.Append("# HELP lethe_client_bytes_total Bytes forwarded per client (kept across swaps while the client is named).\n# TYPE lethe_client_bytes_total counter\n");
        for (var c = 0; c < compiled.ClientCount; c++)
        {
            Line(text, "lethe_client_bytes_total", $"client=\"{compiled.ClientName(c)}\"", Sum(numbered, n => n.ClientBytes(c)));
        }
        text.Append("# HELP lethe_rule_hits_total New flows each rule decided (kept across swaps while the rule id is).\n# TYPE lethe_rule_hits_total counter\n");
        for (var c = 0; c < compiled.ClientCount; c++)
        {
            for (var r = 0; r < compiled.RuleCount(c); r++)
            {
                Line(text, "lethe_rule_hits_total", $"client=\"{compiled.ClientName(c)}\",rule=\"{compiled.RuleId(c, r)}\"",
                    Sum(numbered, n => n.RuleHits(c, r)));
            }
        }
        text.Append("# HELP lethe_idle_poll_rescues_total Polls at idle priority cut short because a busy process held the worker's core.\n# TYPE lethe_idle_poll_rescues_total counter\n");
        Line(text, "lethe_idle_poll_rescues_total", "", dataplane.IdlePollRescues);
        text.Append("# HELP lethe_tracked_flows Flows in the connection table.\n# TYPE lethe_tracked_flows gauge\n");
        Line(text, "lethe_tracked_flows", "", Sum(workers, w => w.Engine.Connections.Count));
        text.Append("# HELP lethe_device_mtu Each device's MTU as last read where the device is now (0: not known, 1500 applies).\n# TYPE lethe_device_mtu gauge\n");
        for (var d = 0; d < dataplane.Devices.Count; d++)
        {
            Line(text, "lethe_device_mtu", $"device=\"{dataplane.Devices[d].Device.Name}\"", dataplane.Mtus[d]);
        }
        return text.ToString();
    }

    private static void Counter(StringBuilder text, string name, string help, IReadOnlyList<Worker> workers, Func<Worker, long> value)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(" counter\n");
        Line(text, name, "", Sum(workers, value));
    }

    private static long Sum<T>(IReadOnlyList<T> items, Func<T, long> value) => items.Sum(value);

    /// <summary>
    /// A worker's per-client and per-rule counts as the page's policy (worker 0's) numbers clients and
    /// rules. During a swap another worker may still run the other version, whose arrays are numbered by
    /// its own clients and rules: its counts are found by client name and rule id, as a swap carries them
    /// over, so no counter the page shows goes down (Prometheus reads that as a restart).
    /// </summary>
    private sealed class Numbering
    {
        private readonly ActivePolicy _policy;
        private readonly int[]? _clients;
        private readonly Dictionary<string, int>?[]? _rules;
        private readonly Lethe.PacketPath.Classification.CompiledPolicy _page;

        public Numbering(ActivePolicy policy, Lethe.PacketPath.Classification.CompiledPolicy page)
        {
            _policy = policy;
            _page = page;
            if (ReferenceEquals(policy.Compiled, page))
            {
                return;
            }
            _clients = new int[page.ClientCount];
            _rules = new Dictionary<string, int>?[page.ClientCount];
            for (var c = 0; c < page.ClientCount; c++)
            {
                _clients[c] = policy.Compiled.ClientIndex(page.ClientName(c));
            }
        }

        public long ClientPackets(int c) => Client(c) is var own and >= 0 ? At(_policy.ClientPackets, own) : 0;

        public long ClientBytes(int c) => Client(c) is var own and >= 0 ? At(_policy.ClientBytes, own) : 0;

        public long RuleHits(int c, int r)
        {
            var own = Client(c);
            if (own < 0 || own >= _policy.RuleHits.Length)
            {
                return 0;
            }
            return Rule(c, own, r) is var rule and >= 0 ? At(_policy.RuleHits[own], rule) : 0;
        }

        private int Client(int c) => _clients is null ? c : _clients[c];

        private int Rule(int c, int own, int r)
        {
            if (_rules is null)
            {
                return r;
            }
            var ids = _rules[c] ??= Ids(_policy.Compiled, own);
            return ids.TryGetValue(_page.RuleId(c, r), out var rule) ? rule : -1;
        }

        private static Dictionary<string, int> Ids(Lethe.PacketPath.Classification.CompiledPolicy compiled, int client)
        {
            var ids = new Dictionary<string, int>(compiled.RuleCount(client), StringComparer.Ordinal);
            for (var r = 0; r < compiled.RuleCount(client); r++)
            {
                ids[compiled.RuleId(client, r)] = r;
            }
            return ids;
        }

        private static long At(long[] values, int index) => index < values.Length ? values[index] : 0;
    }

    private static void Line(StringBuilder text, string name, string labels, long value) =>
        text.Append(name).Append(labels.Length > 0 ? "{" + labels + "}" : "").Append(' ')
            .Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
