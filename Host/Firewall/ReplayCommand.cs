using System.CommandLine;
using System.Text.Json;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>
/// `lethe-firewall replay`: a capture through the same engine as boot. The capture's timestamps
/// are the clock (<see cref="CaptureClock"/>) and the NAT seed is fixed, so a replay gives the same output every time.
/// </summary>
public static class ReplayCommand
{
    private const ulong ReplaySeed = 0x4C45544845; // "LETHE"

    public static Command Build(TextWriter output, TextWriter error)
    {
        var flags = new EngineFlags();
        var pcap = new Option<string>("--pcap") { Description = "Capture to judge: classic libpcap or pcapng (link type " + PcapReader.Supported + ")", Required = true };
        var outPcap = new Option<string?>("--out") { Description = "Write the forwarded packets, as they leave the firewall after NAT (IPv4 without DF over 1500 bytes in fragments), to this pcap file (- for stdout, with --verdicts FILE)" };
        var verdicts = new Option<string?>("--verdicts") { Description = "Write one JSON line per input packet here (default, or -: stdout)" };
        var token = new Option<string?>("--token") { Description = "Bearer token for a control-plane URL (env LETHE_TOKEN)" };
        var resolve = new Option<string[]>("--resolve") { Description = "NAME=ADDR: the answer for a dsthost name during the replay (repeatable); NAME= for a name that resolved to nothing; other names stay unresolved" };
        var command = new Command("replay", "What would this policy do to this capture? Judge every packet of a pcap or pcapng file with a verified snapshot")
            { pcap, outPcap, verdicts, resolve, token };
        foreach (var option in flags.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                // The flags the snapshot has no say in, first: a typing error is told before the snapshot is fetched or refused.
                flags.MaxFlowCount(parse);
                flags.CheckAddresses(parse);
                foreach (var pin in parse.GetValue(resolve) ?? [])
                {
                    ReadPin(pin);
                }
                foreach (var (flag, given) in new[] { ("--pcap", parse.GetValue(pcap)), ("--out", parse.GetValue(outPcap)), ("--verdicts", parse.GetValue(verdicts)) })
                {
                    if (given is { Length: 0 })
                    {
                        // An unset shell variable, say: named, not a stack trace.
                        throw new FlagException($"{flag} is empty: give a file name");
                    }
                }
                var inputPath = Path.GetFullPath(parse.GetValue(pcap)!);
                foreach (var (flag, target) in new[] { ("--out", parse.GetValue(outPcap)), ("--verdicts", parse.GetValue(verdicts)) })
                {
                    if (target is not null && target != "-" && Path.GetFullPath(target) == inputPath)
                    {
                        throw new FlagException($"{flag}: {target} is the capture being read (--pcap); writing it would destroy it");
                    }
                }
                if (parse.GetValue(outPcap) is "-" && parse.GetValue(verdicts) is null or "-")
                {
                    throw new FlagException("--out -: the forwarded capture and the verdicts would both go to stdout; give --verdicts FILE");
                }
                if (parse.GetValue(outPcap) is { } outFile && outFile != "-" && parse.GetValue(verdicts) is { } verdictFile && verdictFile != "-"
                    && Path.GetFullPath(outFile) == Path.GetFullPath(verdictFile))
                {
                    throw new FlagException($"--out and --verdicts both name {outFile}: one file cannot hold a capture and JSON lines");
                }
                var verified = await SnapshotSource.Load(parse.GetValue(flags.Snapshot)!, parse.GetValue(flags.Trust)!,
                    parse.GetValue(token) ?? Environment.GetEnvironmentVariable("LETHE_TOKEN"), ct);
                var clock = new CaptureClock();
                var options = flags.Options(parse, ReplaySeed, verified.Content) with { WallClock = clock };
                var compiled = PolicyCompile.Run(verified.Content, options.DnsResolvers);
                EngineFlags.CheckClientCount(compiled, options);
                var hosts = compiled.CreateHostTable();
                foreach (var pin in parse.GetValue(resolve) ?? [])
                {
                    Pin(hosts, pin);
                }
                var engine = new PacketEngine(new ActivePolicy(compiled, verified.Envelope.Version, hosts), options);
                await using var input = OpenRead("--pcap", inputPath);
                // Its header checked before any output file is opened, and both opened before either is emptied:
                // a capture or an output refused must not have emptied the other's file.
                var reader = Capture("--pcap", inputPath, () => CaptureReader.Open(input));
                await using var outputs = ReplayOutputs.Open(parse.GetValue(verdicts), parse.GetValue(outPcap), input);
                // Once the flags and files are known good: a refusal stays the first line.
                if (BootCommand.DnsTargetWarning(compiled) is { } warning)
                {
                    await error.WriteLineAsync(warning);
                }
                var summary = Capture("--pcap", inputPath, () => Run(engine, clock, reader, outputs.Verdicts, outputs.Forwarded is null ? null : new PcapWriter(outputs.Forwarded)));
                if (summary.Cut > 0)
                {
                    await error.WriteLineAsync($"warning: {summary.Cut} packet(s) were cut short by the capture's snaplen ({reader.SnapLength} bytes): " +
                        "judged by their headers, the bytes not captured taken as zeros (capture with `tcpdump -s 0` to keep packets whole)");
                }
                await error.WriteLineAsync($"replayed {summary.Packets} packets with policy {verified.Envelope.Policy} version {verified.Envelope.Version}: " +
                    $"{summary.Forwarded} forwarded, {summary.Packets - summary.Forwarded} dropped");
                return 0;
            }
            catch (Exception e) when (e is SnapshotVerificationException or PolicyTooLargeException)
            {
                await error.WriteLineAsync($"error: refusing the snapshot: {e.Message}");
                return 1;
            }
            catch (OutOfMemoryException)
            {
                await error.WriteLineAsync($"error: {flags.TooManyFlows(parse)}");
                return 2;
            }
            catch (Exception e) when (e is InvalidDataException or FlagException or IOException or UnauthorizedAccessException)
            {
                // These quote what was typed (a flag's value, a path): escaped, and a pasted blob by its start and length.
                await error.WriteLineAsync($"error: {Lethe.Hosts.ArgvText.Shown(e.Message, parse.Tokens.Select(t => t.Value))}");
                return 2;
            }
        });
        return command;
    }

    /// <param name="Cut">Packets the capture's snaplen cut short, judged with zeros in place of the bytes not captured.</param>
    public readonly record struct Summary(long Packets, long Forwarded, long Cut = 0);

    /// <summary>Runs <paramref name="read"/>; a capture that cannot be read is named with its flag and path.</summary>
    private static T Capture<T>(string flag, string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{flag} {path}: {e.Message}", e);
        }
    }

    /// <param name="clock">The clock <paramref name="engine"/> reads as its wall clock, set to each packet's timestamp.</param>
    public static Summary Run(PacketEngine engine, CaptureClock clock, ICaptureReader reader, Stream verdicts, PcapWriter? forwarded)
    {
        var buffer = new byte[Math.Max(65_536 + 64, (int)Math.Min(reader.SnapLength, 262_144))];
        var reply = new byte[1_500];
        var fragment = new byte[65_536];
        using var json = new Utf8JsonWriter(verdicts, new JsonWriterOptions { SkipValidation = true });
        var newline = "\n"u8.ToArray();
        long n = 0, sent = 0, cut = 0;
        var snapshot = engine.Policy.Version;
        while (reader.TryRead(buffer, out var micros, out var captured, out var ipOffset, out var ipLength))
        {
            n++;
            clock.Next(micros);
            var policy = engine.Policy;
            PacketOutcome outcome;
            if (ipLength == 0)
            {
                // Nothing captured, or a frame cut inside its link header, is cut short; another EtherType or family is not IP.
                outcome = new PacketOutcome { Client = -1, RuleIndex = -1, Reason = ipOffset == 0 ? DropReason.Truncated : DropReason.UnsupportedProtocol };
            }
            else
            {
                // A packet the snaplen cut is judged as the firewall would see it whole: its headers are there,
                // and no verdict reads the payload (transport checksums are the receiver's to check).
                var missing = reader.OriginalLength - captured;
                var capturedIp = ipLength;
                if (missing > 0 && ipOffset + ipLength + missing <= buffer.Length)
                {
                    buffer.AsSpan(ipOffset + ipLength, missing).Clear();
                    ipLength += missing;
                }
                var packet = buffer.AsSpan(ipOffset, ipLength);
                var wasCut = capturedIp < ipLength;
                if (wasCut && !HeadersCaptured(packet, capturedIp))
                {
                    outcome = new PacketOutcome { Client = -1, RuleIndex = -1, Reason = DropReason.Truncated };
                }
                else
                {
                    // Counted for the warning: judged with zeros for what was not captured.
                    cut += wasCut ? 1 : 0;
                    outcome = engine.Process(packet, ipLength, Ingress.BySource, clock.MonotonicMs, reply);
                }
                if (outcome.Forwarded)
                {
                    sent++;
                    if (forwarded is not null && outcome.FragmentMtu > 0)
                    {
                        WriteFragments(forwarded, micros, packet[..outcome.Length], capturedIp, outcome.FragmentMtu, fragment);
                    }
                    else
                    {
                        forwarded?.Write(micros, packet[..outcome.Length], Math.Min(capturedIp, outcome.Length));
                    }
                }
            }
            json.Reset();
            json.WriteStartObject();
            json.WriteNumber("n", n);
            json.WriteString("verdict", outcome.Forwarded ? "accept" : "drop");
            if (outcome.Client >= 0) json.WriteString("client", policy.Compiled.ClientName(outcome.Client));
            else json.WriteNull("client");
            if (outcome.RuleIndex >= 0 && outcome.Client >= 0) json.WriteString("rule", policy.Compiled.RuleId(outcome.Client, outcome.RuleIndex));
            else json.WriteNull("rule");
            json.WriteString("reason", outcome.Forwarded ? outcome.NewFlow ? "new-flow" : "tracked-flow" : VerdictNames.Of(outcome.Reason));
            if (outcome.Forwarded) json.WriteString("egress", outcome.Egress >= 0 ? policy.Compiled.ClientName(outcome.Egress) : "uplink");
            if (outcome.ReplyLength > 0)
            {
                // What boot would send back to the sender: it tells a fast failure from a hang, and --silent-drop apart.
                var (answer, mtu, pointer) = ReplayAnswer.Of(reply.AsSpan(0, outcome.ReplyLength));
                json.WriteString("answer", answer);
                if (mtu is { } value) json.WriteNumber("mtu", value);
                if (pointer is { } at) json.WriteNumber("pointer", at);
            }
            json.WriteNumber("snapshot", snapshot);
            json.WriteEndObject();
            json.Flush();
            verdicts.Write(newline);
        }
        forwarded?.Flush();
        verdicts.Flush();
        return new Summary(n, sent, cut);
    }

    /// <summary>
    /// A forwarded IPv4 packet without DF over the MTU goes to <c>--out</c> as boot would send it:
    /// in fragments of <paramref name="mtu"/>, each holding what it has of the <paramref name="captured"/> bytes.
    /// </summary>
    private static void WriteFragments(PcapWriter forwarded, long micros, ReadOnlySpan<byte> packet, int captured, int mtu, byte[] fragment)
    {
        var headerLength = (packet[0] & 0x0F) * 4;
        var from = 0;
        do
        {
            var start = from;
            var length = Ipv4Fragmenter.Write(packet, mtu, start, fragment, out from);
            if (length == 0)
            {
                // Options the fragments cannot be cut with (the parser refuses them first): boot drops it as split-failed.
                return;
            }
            forwarded.Write(micros, fragment.AsSpan(0, length), headerLength + Math.Clamp(captured - headerLength - start, 0, length - headerLength));
        }
        while (from != 0);
    }

    /// <summary>
    /// Whether the bytes the snaplen kept hold the IP header chain and the transport header (and, in
    /// an ICMP error, the header chain and first 8 transport bytes of the packet it quotes, which the
    /// engine judges it by): only payload may be taken as zeros. A header cut short is not judged
    /// (zeros would be a port 0, a data offset of 0), but dropped as truncated.
    /// </summary>
    private static bool HeadersCaptured(ReadOnlySpan<byte> packet, int captured)
    {
        if (!PacketParser.TryParse(packet, out var info, out var reason))
        {
            return FailureCaptured(packet, captured, reason);
        }
        var t = info.TransportOffset;
        var header = info.IsFragment && info.FragmentOffset != 0 ? 0 : info.Protocol switch
        {
            IpProtocol.Tcp when t + 13 <= captured => (packet[t + 12] >> 4) * 4,
            IpProtocol.Tcp => 20,
            IpProtocol.Udp or IpProtocol.Icmp or IpProtocol.IcmpV6 => 8,
            _ => 0,
        };
        if (t + header > captured)
        {
            return false;
        }
        if (!info.IsIcmpError)
        {
            return true;
        }
        // A quote that does not parse with zeros in it might with the bytes that were not captured.
        return PacketParser.TryParseEmbedded(packet, info, out var quoted)
            && info.EmbeddedOffset + quoted.TransportOffset + (quoted.FragmentOffset != 0 ? 0 : 8) <= captured;
    }

    /// <summary>
    /// Whether a packet that does not parse failed on bytes that were captured, so the engine may name
    /// the reason (a bad IPv4 header checksum, say): the version, or anything of a whole IPv4 header.
    /// What an IPv6 extension header or a transport header decides may lie in the zeros.
    /// </summary>
    private static bool FailureCaptured(ReadOnlySpan<byte> packet, int captured, DropReason reason)
    {
        if (reason == DropReason.BadIpVersion)
        {
            return true;
        }
        var ipHeader = Math.Max(Ipv4Packet.MinHeaderLength, (packet[0] & 0x0F) * 4);
        if (packet[0] >> 4 != 4 || captured < ipHeader
            || reason is DropReason.Truncated or DropReason.BadTransportHeader or DropReason.BadExtensionHeader)
        {
            return false;
        }
        // A first fragment's transport header is read too, and its failure named bad-fragment.
        var firstFragment = (packet[6] & 0x1F) == 0 && packet[7] == 0;
        return reason != DropReason.BadFragment || !firstFragment || captured >= ipHeader + TransportHeaderRead(packet, ipHeader, captured);
    }

    /// <summary>How much of a first fragment's transport the parser reads: its header, and an ICMP error's quote (IPv4 header and 8 bytes).</summary>
    private static int TransportHeaderRead(ReadOnlySpan<byte> packet, int ipHeader, int captured) => packet[9] switch
    {
        IpProtocol.Tcp => 20,
        IpProtocol.Icmp when captured > ipHeader && packet[ipHeader] is 3 or 4 or 5 or 11 or 12 => 8 + Ipv4Packet.MinHeaderLength + 8,
        _ => 8,
    };

    /// <summary>A --resolve pin's name, and its address or null: NAME= pins "resolved to nothing", as a live lookup's NXDOMAIN would.</summary>
    /// <exception cref="FlagException">Not NAME=ADDR or NAME=, or ADDR not an address.</exception>
    private static (string Name, NetAddress? Address) ReadPin(string pin)
    {
        var (name, text) = FlagPair.Split("--resolve", pin, "NAME=ADDR or NAME=", emptyValue: true);
        return (name, text.Length == 0 ? null : EngineFlags.ParseAddress("--resolve", text));
    }

    private static void Pin(HostTable hosts, string pin)
    {
        var (name, address) = ReadPin(pin);
        hosts.TryGet(name, out var existing);
        NetAddress[] pinned = address is { } given ? [.. existing.ToArray(), given] : [.. existing.ToArray()];
        if (!hosts.Set(name, pinned))
        {
            throw new FlagException($"--resolve: no rule of this snapshot names dsthost {name}");
        }
    }

    /// <exception cref="FlagException">A folder, or a file that cannot be read, named with its flag.</exception>
    private static FileStream OpenRead(string flag, string path)
    {
        if (Directory.Exists(path))
        {
            throw new FlagException($"{flag} {path}: is a folder; give a capture file");
        }
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FlagException($"{flag} {path}: {e.Message}");
        }
    }
}
