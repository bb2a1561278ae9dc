using System.CommandLine;
using Lethe.PacketPath.Devices;

namespace Lethe.Firewall;

/// <summary>The flags that put `boot` on TUN devices, and their checks against the booted policy.</summary>
public sealed class DeviceFlags
{
    public Option<string[]> ClientTun { get; } = new("--client-tun")
    {
        Description = "CLIENT=DEVICE: the TUN device of the policy's client CLIENT (repeatable); created, or attached to when it exists",
    };

    public Option<string?> UplinkTun { get; } = new("--uplink-tun") { Description = "The uplink's TUN device; created, or attached to when it exists" };

    public Option<int> Workers { get; } = new("--workers")
    {
        Description = "Worker threads, one per queue of every device, 1..64 (default: the core count, at most 64)",
        DefaultValueFactory = _ => Math.Min(Environment.ProcessorCount, Lethe.PacketPath.Forwarding.Dataplane.MaxWorkers),
    };

    public Option<bool> NoOffload { get; } = new("--no-offload")
    {
        Description = "Open the devices without the virtio-net header: no checksum or segmentation offload, every packet MTU-sized",
    };

    public Option<string?> CpuList { get; } = new("--cpus")
    {
        Description = "Keep the workers on these CPUs, e.g. 1 or 2-3 or 0,2 (worker i on the i-th, round robin); by default the scheduler places them",
    };

    public Option<int> IdlePollUs { get; } = new("--idle-poll-us")
    {
        Description = "Longest a worker that found its queues empty keeps polling them at idle priority (SCHED_IDLE) before it sleeps, " +
            "in microseconds, 0..10000; adapts to the traffic, needs CAP_SYS_NICE (or root), 0 turns it off",
        DefaultValueFactory = _ => 400,
    };

    public IEnumerable<Option> All => [ClientTun, UplinkTun, Workers, NoOffload, CpuList, IdlePollUs];

    /// <exception cref="FlagException">Outside 0..10000.</exception>
    public int IdlePollMicroseconds(ParseResult parse)
    {
        var us = parse.GetValue(IdlePollUs);
        return us is >= 0 and <= MaxIdlePollUs
            ? us
            : throw new FlagException($"--idle-poll-us: {us} is outside 0..{MaxIdlePollUs}");
    }

    private const int MaxIdlePollUs = 10_000;

    /// <summary>The CPUs of --cpus, in order; null when not given.</summary>
    /// <exception cref="FlagException">Not a list of distinct CPU numbers and ranges of this machine.</exception>
    public IReadOnlyList<int>? Cpus(ParseResult parse)
    {
        if (parse.GetValue(CpuList) is not { } text)
        {
            return null;
        }
        var allowed = CpuAffinity.Allowed();
        var cpus = new List<int>();
        foreach (var part in text.Split(','))
        {
            var bounds = part.Split('-');
            if (bounds.Length > 2 || !TryCpu(bounds[0], out var first) || !TryCpu(bounds[^1], out var last) || first > last)
            {
                throw new FlagException($"--cpus: '{text}' is not a list of CPU numbers and ranges such as 0,2-3");
            }
            for (var cpu = first; cpu <= last; cpu++)
            {
                // Checked against this process's own CPUs (a cpuset or taskset narrows them), which a pinned worker must be on.
                if (allowed is null ? cpu >= Environment.ProcessorCount : !allowed.Contains(cpu))
                {
                    throw new FlagException($"--cpus: CPU {cpu} is not one this process may run on ({Describe(allowed)})");
                }
                if (cpus.Contains(cpu))
                {
                    // Round robin already shares a CPU between workers when there are fewer CPUs than workers.
                    throw new FlagException($"--cpus: CPU {cpu} is given twice");
                }
                cpus.Add(cpu);
            }
        }
        return cpus;
    }

    // Digits only, as taskset and cpuset lists are written: int.TryParse alone takes blanks, a sign and the culture's digits.
    private static bool TryCpu(string text, out int cpu) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out cpu);

    /// <exception cref="FlagException">Outside 1..<see cref="Lethe.PacketPath.Forwarding.Dataplane.MaxWorkers"/>.</exception>
    public int WorkerCount(ParseResult parse)
    {
        var workers = parse.GetValue(Workers);
        return workers is >= 1 and <= Lethe.PacketPath.Forwarding.Dataplane.MaxWorkers
            ? workers
            : throw new FlagException($"--workers: {workers} is outside 1..{Lethe.PacketPath.Forwarding.Dataplane.MaxWorkers} (one queue per worker)");
    }

    /// <summary>The devices asked for, uplink last; each client name checked against the booted snapshot's <paramref name="clients"/>.</summary>
    /// <param name="clients">The snapshot's clients, or null before it is read (boot checks the flags' own shape first).</param>
    /// <param name="warnings">Gets a line for each client the snapshot does not name: its device is opened but forwards nothing
    /// until a version names it, as after a swap that removed it (refusing would keep a restart after a client's removal from
    /// forwarding for every other client).</param>
    /// <exception cref="FlagException">A malformed pair, a device or client named twice, a bad worker count.</exception>
    public IReadOnlyList<(string Device, string? Client)> Devices(ParseResult parse, IReadOnlyList<string>? clients, List<string> warnings)
    {
        WorkerCount(parse);
        var devices = new List<(string Device, string? Client)>();
        foreach (var pair in parse.GetValue(ClientTun) ?? [])
        {
            var (client, device) = FlagPair.Split("--client-tun", pair, "CLIENT=DEVICE");
            if (clients is not null && !clients.Contains(client))
            {
                warnings.Add($"warning: --client-tun: the policy has no client '{client}' (its clients: {string.Join(", ", clients)}); " +
                    $"device {device} is opened but forwards nothing until a version names that client (a typing error? a client removed?)");
            }
            if (devices.Any(d => d.Client == client))
            {
                throw new FlagException($"--client-tun: client '{client}' is given twice");
            }
            devices.Add((CheckedName("--client-tun", device), client));
        }
        if (parse.GetValue(UplinkTun) is { } uplink)
        {
            devices.Add((CheckedName("--uplink-tun", uplink), null));
        }
        var twice = devices.GroupBy(d => d.Device).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            throw new FlagException($"device '{twice.Key}' is given twice");
        }
        return devices;
    }

    /// <summary>"0-1" or "2,3,5": the CPUs as ranges, or the machine's count when the kernel did not say.</summary>
    private static string Describe(IReadOnlyList<int>? allowed)
    {
        if (allowed is null || allowed.Count == 0)
        {
            return $"this machine has {Environment.ProcessorCount}: 0-{Environment.ProcessorCount - 1}";
        }
        var ranges = new List<string>();
        for (var i = 0; i < allowed.Count;)
        {
            var j = i;
            while (j + 1 < allowed.Count && allowed[j + 1] == allowed[j] + 1)
            {
                j++;
            }
            ranges.Add(i == j ? $"{allowed[i]}" : $"{allowed[i]}-{allowed[j]}");
            i = j + 1;
        }
        return $"it may run on {string.Join(",", ranges)}";
    }

    private static string CheckedName(string flag, string name) =>
        name.Length is > 0 and < 16 && name is not ("." or "..") && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            // The kernel refuses to create them (EINVAL): they would clash with /proc/sys/net/ipv4/conf/all and default.
            ? name is "all" or "default"
                ? throw new FlagException($"{flag}: '{name}' is not an interface name: the kernel keeps 'all' and 'default' for itself (net.ipv4.conf.all, net.ipv4.conf.default)")
                : name
            : throw new FlagException($"{flag}: '{name}' is not an interface name (1 to 15 letters, digits, '-', '_', '.')");
}
