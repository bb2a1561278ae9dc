using System.Buffers.Binary;
using Lethe.Domain.Rules;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Engine;

/// <summary>
/// One call per packet: parse, origin checks, connection tracking (existing flows), the compiled
/// classifier (new flows), NAT, hop limit and MTU, counters. The packet is rewritten in place; the
/// firewall's own answers (ICMP errors, resets) go to a separate reply buffer. Nothing is allocated
/// per packet and nothing throws for a bad packet: every drop has a <see cref="DropReason"/>.
/// One engine is driven by one thread at a time (the connection table has a single writer).
/// </summary>
public sealed class PacketEngine
{
    private readonly EngineOptions _options;
    private readonly ConnectionTable _table;
    private readonly PortAllocator _ports;
    private readonly ReplyRateLimiter _replies;
    private readonly FragmentTable<FragmentPass> _fragments;
    // What the uplink's prefixes make the firewall's own beside its addresses (UplinkPrefix), worked out once.
    private readonly NetAddress? _directedBroadcast;
    private readonly NetAddress? _subnetRouterAnycast;
    private ActivePolicy _active;
    private int _uplinkMtu;
    private int[] _clientMtus = [];
    // Which sides a device serves (SetEgressDevices); until told, every side, as in a replay.
    private bool _uplinkHasDevice = true;
    private bool[]? _clientHasDevice;
    // The first packet or sweep works out when to look (the table is empty until then).
    private long _expiryCheckAtMs = long.MinValue;
    private long _nextExpiryUnix = long.MaxValue;
    // _nextExpiryUnix holds for clock reads from this second on; an earlier read means the clock went back.
    private long _expiryCheckedUnix = long.MinValue;
    private int _fragmentIds;

    /// <summary>How often, at most, the live firewall reads the wall clock again while a rule is due to expire, so a clock step is noticed.</summary>
    private const long WallClockResyncMs = 60_000;

    /// <summary>Datagrams whose later fragments may be on their way at once, per engine.</summary>
    private const int FragmentSlots = 1024;

    /// <summary>How long a datagram's later fragments may come after its first: Linux's reassembly time (ipfrag_time).</summary>
    private const long FragmentLifetimeMs = 30_000;

    /// <summary>
    /// Entries one <see cref="Sweep"/> looks at: few enough that it stays short (forgetting this many
    /// timed-out flows took about a millisecond on the 2-core test machine, looking at as many live
    /// ones a twentieth of that), enough that at one sweep a second a worker's share of the default
    /// table (65,536 entries) is gone through within 16 s.
    /// </summary>
    public const int SweepEntries = 4_096;

    public PacketEngine(ActivePolicy policy, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(options);
        EnsureTableCountsClients(policy, options);
        _options = options;
        var seed = options.Seed ?? (ulong)Random.Shared.NextInt64();
        _table = new ConnectionTable(options.Limits, options.Timeouts, seed);
        _ports = new PortAllocator(_table, options.NatPorts, seed ^ 0x9E3779B97F4A7C15UL, options.Shards, options.Shard);
        _replies = new ReplyRateLimiter(options.RepliesPerSecond, options.ReplyBurst, options.Limits.MaxClients);
        _fragments = new FragmentTable<FragmentPass>(FragmentSlots, FragmentLifetimeMs, seed ^ 0xD6E8FEB86659FD93UL);
        _fragmentIds = (int)((seed >> 32) % (ulong)IdShare(options));
        _active = policy;
        _uplinkMtu = options.UplinkMtu;
        _directedBroadcast = options.UplinkV4 is { } v4 ? UplinkPrefix.DirectedBroadcast(v4, options.UplinkPrefixLengthV4) : null;
        _subnetRouterAnycast = options.UplinkV6 is { } v6 ? UplinkPrefix.SubnetRouterAnycast(v6, options.UplinkPrefixLengthV6) : null;
    }

    public ActivePolicy Policy => Volatile.Read(ref _active);

    public ConnectionTable Connections => _table;

    /// <summary>Whether a datagram of <paramref name="info"/>'s fragment key is passing here (its first fragment passed, its last not yet).</summary>
    public bool HoldsFragmentPass(in PacketInfo info, long nowMs) => info.IsFragment && _fragments.TryGet(FragmentKey.From(info), nowMs, out _);

    /// <summary>Drops per <see cref="DropReason"/>, indexed by its value.</summary>
    public long[] Drops { get; } = new long[Enum.GetValues<DropReason>().Length];

    public long ForwardedPackets { get; private set; }

    public long ForwardedBytes { get; private set; }

    /// <summary>Tracked flows cut because the rule that allowed them expired and no other allows them.</summary>
    public long FlowsCutByExpiry { get; private set; }

    /// <summary>
    /// What packets do on their way, for a worker that has none to handle: the next
    /// <see cref="SweepEntries"/> entries of the table are looked at and those timed out forgotten,
    /// and the flows of a rule that expired are cut. Without it an idle firewall would go on counting
    /// flows long over, and a rule that expires while no packet comes would end its flows only at the
    /// next packet.
    /// </summary>
    public void Sweep(long nowMs)
    {
        _table.Expire(nowMs, SweepEntries);
        if (nowMs >= _expiryCheckAtMs)
        {
            CheckRuleExpiry(Volatile.Read(ref _active), nowMs);
        }
    }

    public PacketOutcome Process(Span<byte> buffer, int length, int ingress, long nowMs, Span<byte> reply) =>
        Process(buffer, length, ingress, nowMs, reply, Offload.None);

    /// <summary>One packet as a TUN with offloads hands it over; <paramref name="offload"/> comes from its virtio-net header.</summary>
    public PacketOutcome Process(Span<byte> buffer, int length, int ingress, long nowMs, Span<byte> reply, Offload offload)
    {
        if (!PacketParser.TryParse(buffer[..length], out var info, out var reason))
        {
            var dropped = new PacketOutcome { Client = -1, RuleIndex = -1, Egress = Ingress.Uplink };
            if (reason is DropReason.BadHeaderLength or DropReason.SourceRouted)
            {
                AnswerOptionProblem(buffer[..length], ingress, nowMs, reply, ref dropped);
            }
            return Drop(ref dropped, reason);
        }
        return Process(buffer, info, ingress, nowMs, reply, offload);
    }

    /// <summary>
    /// A packet its caller has already parsed (<paramref name="info"/> is what
    /// <see cref="PacketParser.TryParse"/> returned for <paramref name="buffer"/>), so the live path,
    /// which reads the flow from it to find the owning worker, parses each packet once.
    /// </summary>
    /// <param name="mayHold">
    /// Whether the caller would hold a later fragment that came early (<see cref="PacketOutcome.Early"/>)
    /// rather than have it dropped.
    /// </param>
    public PacketOutcome Process(Span<byte> buffer, PacketInfo info, int ingress, long nowMs, Span<byte> reply, Offload offload, bool mayHold = false)
    {
        var policy = Volatile.Read(ref _active);
        var outcome = new PacketOutcome { Client = -1, RuleIndex = -1, Egress = Ingress.Uplink };
        info.PartialChecksum = offload.PartialChecksum;
        info.SegmentPayload = offload.SegmentPayload;
        var packet = buffer[..info.TotalLength];
        if (ingress == Ingress.BySource)
        {
            var owner = policy.Compiled.FindClient(info.Source);
            ingress = owner >= 0 ? owner : Ingress.Uplink;
        }
        _table.Expire(nowMs, 4);
        if (nowMs >= _expiryCheckAtMs)
        {
            CheckRuleExpiry(policy, nowMs);
        }
        var firstFragment = info.IsFragment && info.FragmentOffset == 0;
        var arrived = firstFragment ? FlowKey.From(info) : default;
        var fragment = firstFragment ? FragmentKey.From(info) : default;
        if (firstFragment && _fragments.TryGet(fragment, nowMs, out _))
        {
            outcome.Client = ingress >= 0 ? ingress : -1;
            // A second first fragment while the datagram of that key is still passing: a duplicate
            // (or a reused identification), whose later fragments could not be told from the first
            // one's, and which could overlap what passed. Linux's reassembly would merge the two.
            return Drop(ref outcome, DropReason.BadFragment);
        }
        if (firstFragment && FirstFragmentMayPass(info) && _options.Shards.Count > 1 && _options.Shards.Of(arrived) != _options.Shard)
        {
            // Sent here because this worker held a datagram of the same key until lately: the flow
            // is another worker's, so this is not one to judge here.
            outcome.Client = ingress >= 0 ? ingress : -1;
            return Drop(ref outcome, DropReason.BadFragment);
        }
        var result = ingress == Ingress.Uplink
            ? FromUplink(policy, packet, ref info, nowMs, reply, mayHold, ref outcome)
            : FromClient(policy, ingress, packet, ref info, nowMs, reply, mayHold, ref outcome);
        if (firstFragment)
        {
            NoteFirstFragment(packet, fragment, arrived, info, ingress, result, nowMs);
        }
        return result;
    }

    private PacketOutcome FromClient(ActivePolicy policy, int client, Span<byte> packet, ref PacketInfo info, long nowMs, Span<byte> reply,
        bool mayHold, ref PacketOutcome outcome)
    {
        var compiled = policy.Compiled;
        outcome.Client = client;
        // First: a client's own link chatter (router solicitations, MLD, duplicate address detection
        // from ::, mDNS from fe80::) is never forwarded, not spoofing; nor is anything from an address
        // no packet may come from (RFC 4291 §2.5.2-3, §2.7; RFC 1812 §5.3.7).
        if (info.Destination.IsNeverForwarded || info.Source.IsNeverForwarded)
        {
            return Drop(ref outcome, DropReason.NeverForwarded);
        }
        if (compiled.FindClient(info.Source) != client)
        {
            return Drop(ref outcome, DropReason.SpoofedClientSource);
        }
        if (info.Destination == _directedBroadcast)
        {
            // The kernel holding the uplink's prefix takes it as its own and answers nothing; a
            // firewall sends no client's packet to every host of its uplink's subnet (Linux's bc_forwarding).
            return Drop(ref outcome, DropReason.DirectedBroadcast);
        }
        if (IsClientFacingFirewallAddress(info.Destination))
        {
            // Answered as a drop rule is (administratively prohibited, unless --silent-drop): the address
            // is what traceroute shows as hop 1, and a connect() to it must fail at once, not hang.
            Refuse(packet, info, RuleAction.Drop, client, nowMs, reply, ref outcome);
            return Drop(ref outcome, DropReason.AddressedToFirewall);
        }
        if (info.IsFragment && (info.FragmentOffset != 0 || !FirstFragmentMayPass(info)))
        {
            return LaterFragment(policy, packet, ref info, client, nowMs, mayHold, ref outcome);
        }
        if (info.HopLimit <= 1)
        {
            if (RefusedByItsFlow(packet, info, nowMs) is var refused and not DropReason.None)
            {
                return Drop(ref outcome, refused);
            }
            TimeExceeded(packet, info, client, nowMs, reply, ref outcome);
            return Drop(ref outcome, DropReason.TtlExceeded);
        }

        if (info.IsIcmpError)
        {
            return ClientIcmpError(policy, packet, ref info, nowMs, ref outcome);
        }

        var key = FlowKey.From(info);
        if (LookupOpen(key, info, nowMs, out var entry, out var isReply))
        {
            if (IsIcmp(info) && !FitsIcmpFlow(entry, isReply, info))
            {
                return Drop(ref outcome, DropReason.IcmpNotOfFlow);
            }
            var egress = EgressFor(compiled, info.Destination);
            var tcp = TcpSample.Read(packet, info);
            if (Exceeds(packet, info, egress))
            {
                // Judged by its flow first: a segment the flow refuses gets no answer (ConnectionTable.Refusal).
                if (_table.Refusal(entry, isReply, tcp) is var refused and not DropReason.None)
                {
                    return Drop(ref outcome, refused);
                }
                AnswerTooBig(packet, info, egress, client, reply, ref outcome);
                return Drop(ref outcome, DropReason.TooBig);
            }
            if (_table.Observe(entry, isReply, tcp, info.TotalLength, nowMs) is var refusedSegment and not DropReason.None)
            {
                return Drop(ref outcome, refusedSegment);
            }
            if (!isReply)
            {
                var translated = _table.ReplyKey(entry);
                if (!SourceMatches(translated, key) && !NatRewriter.RewriteSource(packet, ref info, translated.Destination, translated.DestinationPort))
                {
                    return Drop(ref outcome, DropReason.BadTransportHeader);
                }
            }
            return Forward(policy, packet, ref info, egress, client, ref outcome);
        }

        // Before the rules, as the kernel's ruleset drops conntrack's invalid state: no rule counts it, no reject answers it.
        if (info.Protocol == IpProtocol.Tcp && !TcpTracker.CanOpen(info.TcpFlags))
        {
            return Drop(ref outcome, DropReason.TcpCannotOpen);
        }
        if ((IsIcmp(info) && !IsIcmpRequest(info)) || IsOtherFamilysIcmp(info))
        {
            return Drop(ref outcome, DropReason.IcmpCannotOpen);
        }
        var unixMs = UnixMs(nowMs);
        if (unixMs / 1000 < _expiryCheckedUnix)
        {
            // The clock went back since the last expiry check (a wall-clock step, a capture's timestamps
            // out of order): a rule that expired in between may open this flow, which must be cut when
            // the clock passes that expiry again, so the next expiry is worked out from here.
            ScheduleExpiryCheck(policy, nowMs, unixMs);
        }
        var verdict = compiled.Classify(client, info, unixMs / 1000, policy.Hosts);
        outcome.RuleIndex = verdict.RuleIndex;
        if (verdict.RuleIndex >= 0)
        {
            policy.RuleHits[client][verdict.RuleIndex]++;
        }
        if (verdict.Action != RuleAction.Accept)
        {
            Refuse(packet, info, verdict.Action, client, nowMs, reply, ref outcome);
            return Drop(ref outcome, verdict.Reason);
        }

        var destinationClient = compiled.FindClient(info.Destination);
        var newEgress = destinationClient >= 0 ? destinationClient : Ingress.Uplink;
        // Checked before NAT, so the answer goes to the client and quotes what it sent, and no flow is opened.
        if (TooBig(packet, info, newEgress, client, reply, ref outcome))
        {
            return Drop(ref outcome, DropReason.TooBig);
        }
        if (!_table.HasRoom(policy.TableSlots[client], nowMs, out var reason)
            || !Translation(key, info, destinationClient, nowMs, out var replyKey, out reason))
        {
            return Drop(ref outcome, reason);
        }
        var icmpRequest = IsIcmp(info) ? info.IcmpType : (byte)0;
        if (!_table.TryCreate(key, replyKey, policy.TableSlots[client], verdict.RuleIndex, info.TcpFlags, icmpRequest, nowMs, out entry, out reason))
        {
            return Drop(ref outcome, reason);
        }
        // A flow's first segment always fits the window it opens.
        _table.Observe(entry, false, TcpSample.Read(packet, info), info.TotalLength, nowMs);
        outcome.NewFlow = true;
        if (!SourceMatches(replyKey, key) && !NatRewriter.RewriteSource(packet, ref info, replyKey.Destination, replyKey.DestinationPort))
        {
            _table.Remove(entry);
            return Drop(ref outcome, DropReason.BadTransportHeader);
        }
        return Forward(policy, packet, ref info, newEgress, client, ref outcome);
    }

    private PacketOutcome FromUplink(ActivePolicy policy, Span<byte> packet, ref PacketInfo info, long nowMs, Span<byte> reply, bool mayHold,
        ref PacketOutcome outcome)
    {
        var compiled = policy.Compiled;
        if (compiled.FindClient(info.Source) >= 0)
        {
            return Drop(ref outcome, DropReason.SpoofedUplinkSource);
        }
        // An error "from" a multicast, loopback or unspecified address included: Linux drops those as martians.
        if (info.Destination.IsNeverForwarded || info.Source.IsNeverForwarded)
        {
            return Drop(ref outcome, DropReason.NeverForwarded);
        }
        if (info.IsFragment && (info.FragmentOffset != 0 || !FirstFragmentMayPass(info)))
        {
            return LaterFragment(policy, packet, ref info, Ingress.Uplink, nowMs, mayHold, ref outcome);
        }

        int entry;
        bool isReply;
        if (info.IsIcmpError)
        {
            // The quote is the packet as it left the firewall: its flow's reply key is the quote reversed.
            if (!NatRewriter.TryReadQuotedFlow(packet, info, out var quoted) ||
                !_table.Lookup(quoted.Reversed(), nowMs, out entry, out isReply) || !isReply)
            {
                return Drop(ref outcome, DropReason.IcmpErrorWithoutFlow);
            }
            var source = _table.OriginalKey(entry);
            // Only about a flow that left by the uplink, and sent to the address its packet left with
            // (conntrack's check): a flow between two clients never met the uplink, and anyone there
            // could otherwise break it with a forged unreachable.
            if (info.Destination != quoted.Source || compiled.FindClient(source.Destination) >= 0)
            {
                return Drop(ref outcome, DropReason.IcmpErrorWithoutFlow);
            }
            var refusal = Deliverable(policy, packet, info, source.Source, flow: -1, default, nowMs, reply, ref outcome);
            if (refusal != DropReason.None)
            {
                return Drop(ref outcome, refusal);
            }
            if (!NatRewriter.TranslateIcmpError(packet, ref info, source.Source, source.SourcePort))
            {
                return Drop(ref outcome, DropReason.BadTransportHeader);
            }
            return Forward(policy, packet, ref info, outcome.Client, outcome.Client, ref outcome);
        }

        var key = FlowKey.From(info);
        if (!LookupOpen(key, info, nowMs, out entry, out isReply) || !isReply)
        {
            return Drop(ref outcome, DropReason.UnsolicitedFromUplink);
        }
        if (IsIcmp(info) && !FitsIcmpFlow(entry, isReply: true, info))
        {
            return Drop(ref outcome, DropReason.IcmpNotOfFlow);
        }
        var original = _table.OriginalKey(entry);
        var tcp = TcpSample.Read(packet, info);
        var refused = Deliverable(policy, packet, info, original.Source, entry, tcp, nowMs, reply, ref outcome);
        if (refused != DropReason.None)
        {
            return Drop(ref outcome, refused);
        }
        if (_table.Observe(entry, true, tcp, info.TotalLength, nowMs) is var refusedSegment and not DropReason.None)
        {
            return Drop(ref outcome, refusedSegment);
        }
        if ((original.Source != info.Destination || original.SourcePort != info.DestinationPort) &&
            !NatRewriter.RewriteDestination(packet, ref info, original.Source, original.SourcePort))
        {
            return Drop(ref outcome, DropReason.BadTransportHeader);
        }
        return Forward(policy, packet, ref info, outcome.Client, outcome.Client, ref outcome);
    }

    /// <summary>
    /// Whether a packet from the uplink may go on to the client at <paramref name="clientAddress"/>;
    /// sets <see cref="PacketOutcome.Client"/>. Checked before the packet is translated, so any ICMP
    /// the firewall answers with goes back through the uplink quoting what the remote sent. A segment of
    /// <paramref name="flow"/> (-1: none) that would be answered is judged by the flow first: one it
    /// refuses gets no answer (<see cref="ConnectionTable.Refusal"/>).
    /// </summary>
    private DropReason Deliverable(ActivePolicy policy, ReadOnlySpan<byte> packet, in PacketInfo info, NetAddress clientAddress, int flow,
        in TcpSample tcp, long nowMs, Span<byte> reply, ref PacketOutcome outcome)
    {
        // The owner is looked up in the current policy: client numbering may change between snapshots.
        var client = policy.Compiled.FindClient(clientAddress);
        if (client < 0)
        {
            return DropReason.FlowCut;
        }
        outcome.Client = client;
        var expired = info.HopLimit <= 1;
        if (!expired && !Exceeds(packet, info, client))
        {
            return DropReason.None;
        }
        if (flow >= 0 && _table.Refusal(flow, isReply: true, tcp) is var refused and not DropReason.None)
        {
            return refused;
        }
        if (expired)
        {
            TimeExceeded(packet, info, Ingress.Uplink, nowMs, reply, ref outcome);
            return DropReason.TtlExceeded;
        }
        AnswerTooBig(packet, info, client, Ingress.Uplink, reply, ref outcome);
        return DropReason.TooBig;
    }

    /// <summary>
    /// Why the tracked flow of a client's TCP segment whose hop limit ran out refuses it
    /// (<see cref="ConnectionTable.Refusal"/>); <see cref="DropReason.None"/> when it has none, or when
    /// the segment starts a new connection on it, which is answered as any new flow's first packet.
    /// </summary>
    private DropReason RefusedByItsFlow(Span<byte> packet, in PacketInfo info, long nowMs)
    {
        if (info.Protocol != IpProtocol.Tcp || !_table.Lookup(FlowKey.From(info), nowMs, out var entry, out var isReply)
            || _table.IsReopenedBy(entry, isReply, info.TcpFlags))
        {
            return DropReason.None;
        }
        return _table.Refusal(entry, isReply, TcpSample.Read(packet, info));
    }

    private PacketOutcome ClientIcmpError(ActivePolicy policy, Span<byte> packet, ref PacketInfo info, long nowMs, ref PacketOutcome outcome)
    {
        // An error a client sends about a packet it received: the reply direction of a flow it started,
        // or the first direction of a flow another client started to it.
        if (!NatRewriter.TryReadQuotedFlow(packet, info, out var quoted) ||
            !_table.Lookup(quoted.Reversed(), nowMs, out var entry, out var isReply))
        {
            return Drop(ref outcome, DropReason.IcmpErrorWithoutFlow);
        }
        if (isReply)
        {
            return ResponderIcmpError(policy, packet, ref info, entry, nowMs, ref outcome);
        }
        var translated = _table.ReplyKey(entry);
        var original = _table.OriginalKey(entry);
        if (policy.Compiled.FindClient(original.Source) != outcome.Client || info.Destination != original.Destination)
        {
            // Another client's flow: the sender may not speak for it (say, kill it with an unreachable).
            // Or addressed elsewhere than the flow's other end: a quote of its own flow would carry it
            // past the rules to any host or client.
            return Drop(ref outcome, DropReason.IcmpErrorWithoutFlow);
        }
        var egress = EgressFor(policy.Compiled, original.Destination);
        if (TooBig(packet, info, egress, outcome.Client, default, ref outcome))
        {
            return Drop(ref outcome, DropReason.TooBig);
        }
        if ((translated.Destination != original.Source || translated.DestinationPort != original.SourcePort) &&
            !NatRewriter.TranslateOutgoingIcmpError(packet, ref info, translated.Destination, translated.DestinationPort))
        {
            return Drop(ref outcome, DropReason.BadTransportHeader);
        }
        return Forward(policy, packet, ref info, egress, outcome.Client, ref outcome);
    }

    /// <summary>
    /// An error from the client a flow between two clients was opened to (its port is closed, say),
    /// about a packet of that flow: it goes back to the client that opened it, as Linux's conntrack
    /// lets it through as related. Such a flow is routed untranslated, so the error is too.
    /// </summary>
    private PacketOutcome ResponderIcmpError(ActivePolicy policy, Span<byte> packet, ref PacketInfo info, int entry, long nowMs, ref PacketOutcome outcome)
    {
        var original = _table.OriginalKey(entry);
        var replyKey = _table.ReplyKey(entry);
        var compiled = policy.Compiled;
        if (compiled.FindClient(replyKey.Source) != outcome.Client || replyKey != original.Reversed() || info.Destination != original.Source)
        {
            // Not this client's to answer for, or not addressed to the flow's other end.
            return Drop(ref outcome, DropReason.IcmpErrorWithoutFlow);
        }
        var egress = compiled.FindClient(original.Source);
        if (egress < 0)
        {
            return Drop(ref outcome, DropReason.FlowCut);
        }
        if (TooBig(packet, info, egress, outcome.Client, default, ref outcome))
        {
            return Drop(ref outcome, DropReason.TooBig);
        }
        return Forward(policy, packet, ref info, egress, outcome.Client, ref outcome);
    }

    private bool Translation(in FlowKey key, in PacketInfo info, int destinationClient, long nowMs, out FlowKey replyKey, out DropReason reason)
    {
        reason = DropReason.None;
        var uplink = info.Version == 6 ? _options.UplinkV6 : _options.UplinkV4;
        if (destinationClient >= 0 || uplink is null)
        {
            // Between clients, and for a family with no uplink address, the flow is routed untranslated.
            replyKey = key.Reversed();
            return true;
        }
        if (info.Protocol is IpProtocol.Tcp or IpProtocol.Udp || IsIcmpQuery(info))
        {
            return _ports.TryAllocate(key, uplink.Value, nowMs, out replyKey, out reason);
        }
        // No port to tell two clients' flows apart behind one address: one such flow per remote at a time.
        replyKey = new FlowKey(key.Destination, uplink.Value, key.Protocol, 0, 0);
        if (_table.Lookup(replyKey, nowMs, out _, out _))
        {
            reason = DropReason.NatPortsExhausted;
            return false;
        }
        return true;
    }

    /// <summary>
    /// Finds the packet's flow, unless the packet is a SYN starting a new connection on the tuple of
    /// a closed one: that flow goes (and its NAT port with it), and the SYN is judged as a new flow
    /// by its sender's rules, as conntrack does; from the uplink, where no rule opens a flow, it is unsolicited.
    /// </summary>
    private bool LookupOpen(in FlowKey key, in PacketInfo info, long nowMs, out int entry, out bool isReply)
    {
        if (!_table.Lookup(key, nowMs, out entry, out isReply))
        {
            return false;
        }
        if (info.Protocol == IpProtocol.Tcp && _table.IsReopenedBy(entry, isReply, info.TcpFlags))
        {
            _table.Remove(entry);
            return false;
        }
        return true;
    }

    /// <summary>
    /// Fragments are not reassembled. A datagram's first fragment is judged like a whole packet, by
    /// the ports it carries; it must hold the whole transport header (the parser checks), and later
    /// fragments pass only in order, each where the one before ended (<see cref="LaterFragment"/>),
    /// so none can change what the rules read. No TCP fragment passes: TCP avoids fragmenting (it has path MTU discovery), and its
    /// window tracking would see only the first fragment's share of a segment; nor does a fragmented
    /// ICMP error, which is never larger than the minimum MTU when sent by the book (RFC 1812
    /// §4.3.2.3, RFC 4443 §2.4 (c)).
    /// </summary>
    private static bool FirstFragmentMayPass(in PacketInfo info) => info.Protocol != IpProtocol.Tcp && !info.IsIcmpError;

    /// <summary>
    /// Lets the later fragments of a datagram whose first fragment was forwarded follow it. (A first
    /// fragment of a key already passing never gets here: <see cref="Process(Span{byte}, PacketInfo, int, long, Span{byte}, Offload)"/> drops it.)
    /// </summary>
    private void NoteFirstFragment(Span<byte> packet, in FragmentKey fragment, in FlowKey arrived, in PacketInfo info, int ingress, in PacketOutcome result,
        long nowMs)
    {
        if (!Passed(result) || !_table.Lookup(arrived, nowMs, out var entry, out _))
        {
            return;
        }
        // Behind one address every client's datagrams to a host share the receiver's reassembly key
        // but for the identification. Linux's NAT, which reassembles, never lets an incomplete one
        // out; Lethe does, so each translated datagram gets an identification of the firewall's,
        // lest a client's unfinished datagram catch another client's of the same number.
        var leavingId = -1;
        if (info.Version == 4 && result.Egress == Ingress.Uplink && info.Source != arrived.Source)
        {
            leavingId = _options.Shard + _options.Shards.Count * _fragmentIds;
            _fragmentIds = (_fragmentIds + 1) % IdShare(_options);
            SetIdentification(packet, (ushort)leavingId);
        }
        var pass = new FragmentPass(arrived, _table.OriginalKey(entry), info.Source, info.Destination, ingress, result.Egress, result.Client,
            info.TotalLength - info.FragmentDataOffset, leavingId);
        _fragments.Set(fragment, pass, result.Client, nowMs);
    }

    /// <summary>
    /// Forwarded, or let through to a side no device serves (<see cref="DropReason.NoDevice"/>): either
    /// way the datagram's later fragments follow it, so that they too are dropped as no device, not held
    /// as come early and then counted as fragments without a flow.
    /// </summary>
    public static bool Passed(in PacketOutcome outcome) => outcome.Forwarded || outcome.Reason == DropReason.NoDevice;

    /// <summary>How many identifications each worker has: its own share of the 65,536, whatever their number.</summary>
    private static int IdShare(EngineOptions options) => 65_536 / options.Shards.Count;

    private static void SetIdentification(Span<byte> packet, ushort id)
    {
        var old = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], Checksum.Update(BinaryPrimitives.ReadUInt16BigEndian(packet[10..]), old, id));
    }

    /// <summary>
    /// A fragment that is not judged by itself (<see cref="FirstFragmentMayPass"/>): it follows the
    /// first fragment of its datagram, from the same side, while that datagram's flow lasts, with the
    /// same addresses the first one left with. No ICMP answer is sent about it (RFC 792, RFC 1812
    /// §4.3.2.7: errors only about a first fragment). One that comes before its first fragment, or
    /// after a gap, is left to a caller that would hold it (<paramref name="mayHold"/>), as the
    /// kernel's reassembly holds it.
    /// </summary>
    private PacketOutcome LaterFragment(ActivePolicy policy, Span<byte> packet, ref PacketInfo info, int ingress, long nowMs, bool mayHold,
        ref PacketOutcome outcome)
    {
        var key = FragmentKey.From(info);
        var known = _fragments.TryGet(key, nowMs, out var pass);
        if (mayHold && MayComeEarly(info) && (!known || (pass.Ingress == ingress && info.FragmentOffset > pass.NextOffset)))
        {
            outcome.Early = true;
            outcome.Reason = DropReason.FragmentWithoutFlow;
            return outcome;
        }
        if (info.FragmentOffset == 0
            || !known
            || pass.Ingress != ingress
            || !_table.Lookup(pass.Arrived, nowMs, out var entry, out _)
            || _table.OriginalKey(entry) != pass.Original)
        {
            return Drop(ref outcome, DropReason.FragmentWithoutFlow);
        }
        outcome.Client = pass.Client;
        // Overlapping what passed, it could replace the ports the rules judged in the receiver's
        // reassembly (IPv6 extension headers after the fragment header push them past byte 8).
        if (info.FragmentOffset < pass.NextOffset)
        {
            return Drop(ref outcome, DropReason.BadFragment);
        }
        // One before it is missing or late: the datagram cannot be whole, and the kernel would hold this one.
        if (info.FragmentOffset > pass.NextOffset)
        {
            return Drop(ref outcome, DropReason.FragmentWithoutFlow);
        }
        // A piece with no data that is not the last carries nothing a sender needs to send.
        if (info.MoreFragments && info.TotalLength == info.FragmentDataOffset)
        {
            return Drop(ref outcome, DropReason.BadFragment);
        }
        if (info.HopLimit <= 1)
        {
            return Drop(ref outcome, DropReason.TtlExceeded);
        }
        if (TooBig(packet, info, pass.Egress, ingress, default, ref outcome))
        {
            return Drop(ref outcome, DropReason.TooBig);
        }
        if ((info.Source != pass.Source && !NatRewriter.RewriteSource(packet, ref info, pass.Source, 0))
            || (info.Destination != pass.Destination && !NatRewriter.RewriteDestination(packet, ref info, pass.Destination, 0)))
        {
            return Drop(ref outcome, DropReason.BadFragment);
        }
        if (pass.LeavingId >= 0)
        {
            SetIdentification(packet, (ushort)pass.LeavingId);
        }
        if (info.MoreFragments)
        {
            // Counted from the first fragment, as the receiver's reassembly timer is: not renewed by each piece.
            _fragments.Update(key, pass with { NextOffset = info.FragmentOffset + info.TotalLength - info.FragmentDataOffset }, nowMs);
        }
        else
        {
            // Whole: another datagram's fragments under this key are not this one's.
            _fragments.Remove(key, nowMs);
        }
        return Forward(policy, packet, ref info, pass.Egress, pass.Client, ref outcome);
    }

    /// <summary>
    /// A later fragment of a datagram that may pass, so one worth holding when it comes early: not
    /// one of a TCP segment (an IPv6 fragment header names the transport in every fragment too, unless
    /// other extension headers follow it, which only the first fragment shows).
    /// </summary>
    public static bool MayComeEarly(in PacketInfo info) => info.FragmentOffset != 0 && info.Protocol != IpProtocol.Tcp;

    /// <summary>
    /// Whether a later fragment that came early (<see cref="PacketOutcome.Early"/>) could still pass,
    /// so is worth holding, and the client it would pass for, whose share of the held fragments it
    /// takes. Neither end may be an address never forwarded. From a client: that client, when the
    /// source is its own. From the uplink: the client it is addressed to, where that family is not
    /// translated (else nothing to a client's own address passes); one addressed to the firewall's own
    /// address (translated) is the client's whose datagram of its key passes, else
    /// <see cref="Ingress.Uplink"/>, since the ports that name its flow are in its first fragment. One
    /// addressed to neither could never pass.
    /// </summary>
    public bool MayHold(in PacketInfo info, int ingress, long nowMs, out int client)
    {
        client = ingress;
        if (!MayComeEarly(info) || info.Destination.IsNeverForwarded || info.Source.IsNeverForwarded)
        {
            return false;
        }
        var compiled = Volatile.Read(ref _active).Compiled;
        if (ingress != Ingress.Uplink)
        {
            return compiled.FindClient(info.Source) == ingress && !IsClientFacingFirewallAddress(info.Destination) && info.Destination != _directedBroadcast;
        }
        if (compiled.FindClient(info.Source) >= 0)
        {
            return false;
        }
        client = compiled.FindClient(info.Destination);
        if (client >= 0)
        {
            // Where the family is translated, nothing from the uplink to a client's own address passes.
            return FirewallAddressFor(info) is null;
        }
        if (!IsFirewallAddress(info.Destination))
        {
            return false;
        }
        client = _fragments.TryGet(FragmentKey.From(info), nowMs, out var pass) && pass.Ingress == Ingress.Uplink ? pass.Client : Ingress.Uplink;
        return true;
    }

    /// <summary>
    /// Whether a later fragment held since it came early (<see cref="PacketOutcome.Early"/>) is to be
    /// judged now: its datagram passes from the same side and has reached (or passed) its offset.
    /// </summary>
    public bool Continues(in PacketInfo info, int ingress, long nowMs) =>
        info.IsFragment && _fragments.TryGet(FragmentKey.From(info), nowMs, out var pass) && pass.Ingress == ingress
        && info.FragmentOffset <= pass.NextOffset;

    /// <summary>Counts a held fragment whose turn never came as the drop it would have been when it came.</summary>
    public void DropHeldFragment() => Drops[(int)DropReason.FragmentWithoutFlow]++;

    /// <summary>Sends the packet on; its size was checked (<see cref="TooBig"/>) before any rewrite.</summary>
    private PacketOutcome Forward(ActivePolicy policy, Span<byte> packet, ref PacketInfo info, int egress, int client, ref PacketOutcome outcome)
    {
        outcome.Egress = egress;
        if (!HasDevice(egress))
        {
            // Judged as passing all the same: a first fragment's later ones follow it here (NoteFirstFragment), to be dropped so too.
            return Drop(ref outcome, DropReason.NoDevice);
        }
        DecrementHopLimit(packet, ref info);
        outcome.Forwarded = true;
        outcome.Length = info.TotalLength;
        // Only IPv4 without DF gets here over the MTU (Exceeds): cut by the caller as it leaves, after the translation.
        var mtu = MtuOf(egress);
        outcome.FragmentMtu = MayFragment(info) && LargestSegment(packet, info) > mtu ? mtu : 0;
        outcome.Reason = DropReason.None;
        ForwardedPackets++;
        ForwardedBytes += info.TotalLength;
        if (client >= 0 && client < policy.ClientPackets.Length)
        {
            policy.ClientPackets[client]++;
            policy.ClientBytes[client] += info.TotalLength;
        }
        return outcome;
    }

    /// <summary>
    /// The MTU of the uplink's device and of each client's (by the running policy's client numbers),
    /// from the live firewall's devices; 0, or a client not listed, means
    /// <see cref="EngineOptions.UplinkMtu"/> or <see cref="EngineOptions.ClientMtu"/>. Called by the
    /// thread that drives the engine, after a swap and whenever a device's MTU changes.
    /// </summary>
    public void SetEgressMtus(int uplink, ReadOnlySpan<int> byClient)
    {
        _uplinkMtu = uplink > 0 ? uplink : _options.UplinkMtu;
        var clients = byClient.Length == _clientMtus.Length ? _clientMtus : new int[byClient.Length];
        for (var c = 0; c < clients.Length; c++)
        {
            clients[c] = byClient[c] > 0 ? byClient[c] : _options.ClientMtu;
        }
        _clientMtus = clients;
    }

    /// <summary>
    /// Which sides the live firewall has a device for: the uplink, and each client by the running
    /// policy's client numbers (a client not listed has one). A packet allowed to a side without one
    /// is dropped (<see cref="DropReason.NoDevice"/>), so it is never counted as forwarded. Called by
    /// the thread that drives the engine, with <see cref="SetEgressMtus"/>.
    /// </summary>
    public void SetEgressDevices(bool uplink, bool[] byClient)
    {
        _uplinkHasDevice = uplink;
        _clientHasDevice = byClient;
    }

    private bool HasDevice(int egress) =>
        egress == Ingress.Uplink ? _uplinkHasDevice : _clientHasDevice is not { } clients || (uint)egress >= (uint)clients.Length || clients[egress];

    /// <summary>Replaces the policy whole, then cuts the tracked flows the new one no longer allows (<see cref="ClientsToRecheck"/>).</summary>
    /// <returns>How many flows were cut.</returns>
    public int Swap(ActivePolicy next, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(next);
        EnsureTableCountsClients(next, _options);
        var previous = Volatile.Read(ref _active);
        // Rules of the old policy that expired since the last check end their flows first, counted as
        // such, as they would have been had a packet come before the swap.
        CheckRuleExpiry(previous, nowMs);
        next.TableSlots = TableSlotsFor(previous, next);
        CarryCounters(previous, next);
        Volatile.Write(ref _active, next);
        // Client numbers may change between policies: a datagram cut in two by a swap loses its tail.
        _fragments.Clear();
        var unixMs = UnixMs(nowMs);
        var recheck = ClientsToRecheck(previous, next, unixMs / 1000);
        var cut = _table.Rejudge(nowMs, flow => AllowedBy(previous, next, flow, unixMs / 1000, recheck));
        ScheduleExpiryCheck(next, nowMs, unixMs);
        return cut;
    }

    /// <summary>
    /// The metrics are Prometheus counters, which only a restart may take down: a client (by name) and
    /// each of its rules (by id) that <paramref name="next"/> keeps, keep their counts. Called on the
    /// worker's own thread, before it takes <paramref name="next"/>, so no packet counts in between.
    /// </summary>
    private static void CarryCounters(ActivePolicy previous, ActivePolicy next)
    {
        if (ReferenceEquals(previous, next))
        {
            return;
        }
        var was = previous.Compiled;
        var now = next.Compiled;
        for (var c = 0; c < now.ClientCount; c++)
        {
            var old = was.ClientIndex(now.ClientName(c));
            if (old < 0)
            {
                continue;
            }
            next.ClientPackets[c] += previous.ClientPackets[old];
            next.ClientBytes[c] += previous.ClientBytes[old];
            var oldRules = new Dictionary<string, int>(was.RuleCount(old), StringComparer.Ordinal);
            for (var r = 0; r < was.RuleCount(old); r++)
            {
                oldRules[was.RuleId(old, r)] = r;
            }
            for (var r = 0; r < now.RuleCount(c); r++)
            {
                if (oldRules.TryGetValue(now.RuleId(c, r), out var oldRule))
                {
                    next.RuleHits[c][r] += previous.RuleHits[old][oldRule];
                }
            }
        }
    }

    /// <summary>
    /// When a rule expires, the flows of its client are checked again as a swap checks them, and
    /// those no rule allows any more are cut: an expired rule ends its flows as a removed one does.
    /// </summary>
    private void CheckRuleExpiry(ActivePolicy policy, long nowMs)
    {
        var unixMs = UnixMs(nowMs);
        var nowUnix = unixMs / 1000;
        if (nowUnix >= _nextExpiryUnix)
        {
            var recheck = ClientsToRecheck(policy, policy, nowUnix);
            FlowsCutByExpiry += _table.Rejudge(nowMs, flow => AllowedBy(policy, policy, flow, nowUnix, recheck));
        }
        ScheduleExpiryCheck(policy, nowMs, unixMs);
    }

    /// <summary>
    /// The clients of <paramref name="next"/> whose flows are judged again: those whose rules changed
    /// (or are new) and those with a rule that expired since the last check. As the Qubes agent
    /// re-applies, and resolves afresh, only the rules of a qube that changed: a client whose rules
    /// stayed keeps its flows, even where a dsthost answer moved since they opened.
    /// </summary>
    private bool[] ClientsToRecheck(ActivePolicy previous, ActivePolicy next, long nowUnix)
    {
        var compiled = next.Compiled;
        var recheck = new bool[compiled.ClientCount];
        for (var c = 0; c < recheck.Length; c++)
        {
            var before = previous.Compiled.ClientIndex(compiled.ClientName(c));
            recheck[c] = before < 0
                || !compiled.SameRules(c, previous.Compiled, before)
                || compiled.HasExpiryBetween(c, _nextExpiryUnix, nowUnix);
        }
        return recheck;
    }

    /// <summary>Works out, on the engine's clock, when the next rule of <paramref name="policy"/> expires.</summary>
    /// <remarks>
    /// With a wall clock, that clock is read again at least every <see cref="WallClockResyncMs"/> while
    /// any rule has an expire, past ones too: a clock stepped back across an expire makes its rule
    /// match again, and the flows it then opens must be cut when it expires once more. A step back is
    /// seen at once by the new flow that reads the clock, which schedules again from its time (the
    /// resync alone would miss a clock back past the last check within the minute).
    /// </remarks>
    private void ScheduleExpiryCheck(ActivePolicy policy, long nowMs, long unixMs)
    {
        _expiryCheckedUnix = unixMs / 1000;
        _nextExpiryUnix = policy.Compiled.NextExpiry(_expiryCheckedUnix);
        if (_options.WallClock is not null && policy.Compiled.NextExpiry(long.MinValue) != long.MaxValue)
        {
            _expiryCheckAtMs = nowMs + Math.Min(_nextExpiryUnix == long.MaxValue ? long.MaxValue : _nextExpiryUnix * 1000 - unixMs, WallClockResyncMs);
            return;
        }
        _expiryCheckAtMs = _nextExpiryUnix == long.MaxValue ? long.MaxValue : nowMs + (_nextExpiryUnix * 1000 - unixMs);
    }

    /// <summary>UNIX time in milliseconds: the wall clock's when there is one, else the engine's own clock is UNIX time.</summary>
    private long UnixMs(long nowMs) => _options.WallClock is { } clock ? clock.GetUtcNow().ToUnixTimeMilliseconds() : nowMs;

    /// <summary>
    /// A client named in both policies keeps its table slot, so its flows stay counted against its own
    /// quota when the snapshot reorders clients; a new client takes the lowest slot no kept client
    /// holds (the flows of a client that is gone are all cut by this swap).
    /// </summary>
    private static int[] TableSlotsFor(ActivePolicy previous, ActivePolicy next)
    {
        var slots = new int[next.Compiled.ClientCount];
        var taken = new HashSet<int>();
        for (var c = 0; c < slots.Length; c++)
        {
            var before = previous.Compiled.ClientIndex(next.Compiled.ClientName(c));
            slots[c] = before >= 0 ? previous.TableSlots[before] : -1;
            taken.Add(slots[c]);
        }
        var free = 0;
        for (var c = 0; c < slots.Length; c++)
        {
            if (slots[c] < 0)
            {
                while (taken.Contains(free))
                {
                    free++;
                }
                slots[c] = free;
                taken.Add(free);
            }
        }
        return slots;
    }

    /// <summary>Refused when loaded, so no packet of a client the table cannot count ever throws.</summary>
    private static void EnsureTableCountsClients(ActivePolicy policy, EngineOptions options)
    {
        if (policy.Compiled.ClientCount > options.Limits.MaxClients)
        {
            throw new ArgumentException(
                $"Snapshot version {policy.Version} has {policy.Compiled.ClientCount} clients; the connection table counts at most " +
                $"{options.Limits.MaxClients} (raise ConnectionLimits.MaxClients).", nameof(policy));
        }
    }

    /// <returns>The index of <paramref name="next"/>'s rule that allows the flow, among its client's rules; -1 when none does.</returns>
    private static int AllowedBy(ActivePolicy previous, ActivePolicy next, TrackedFlow flow, long nowUnix, bool[] recheck)
    {
        var original = flow.Original;
        // flow.Client numbers the client in the policy the flow was opened under, which an earlier swap
        // may have reordered; the owner of its source address in the previous policy is its client
        // (every swap cuts the flows of an address that changed hands).
        var before = previous.Compiled.FindClient(original.Source);
        var client = next.Compiled.FindClient(original.Source);
        if (before < 0 || client < 0 || next.Compiled.ClientName(client) != previous.Compiled.ClientName(before))
        {
            return -1;
        }
        // Whether the other end is a client decided the flow's route and NAT when it opened: if that
        // changed hands, what the flow carries would now leave another way, untranslated.
        if (OwnerName(previous, original.Destination) != OwnerName(next, original.Destination))
        {
            return -1;
        }
        if (!recheck[client])
        {
            // Its rules are the same, in the same order: the rule that allowed it still does, at its index.
            return flow.RuleIndex;
        }
        var v6 = original.Source.IsV6;
        var info = new PacketInfo
        {
            Version = (byte)(v6 ? 6 : 4),
            Source = original.Source,
            Destination = original.Destination,
            Protocol = original.Protocol,
            SourcePort = original.SourcePort,
            DestinationPort = original.DestinationPort,
            IcmpType = flow.IcmpRequest,
        };
        var verdict = next.Compiled.Classify(client, info, nowUnix, next.Hosts);
        return verdict.Action == RuleAction.Accept ? verdict.RuleIndex : -1;
    }

    private static string? OwnerName(ActivePolicy policy, NetAddress address) =>
        policy.Compiled.FindClient(address) is var owner and >= 0 ? policy.Compiled.ClientName(owner) : null;

    private void Refuse(ReadOnlySpan<byte> packet, in PacketInfo info, RuleAction action, int client, long nowMs, Span<byte> reply,
        ref PacketOutcome outcome)
    {
        if ((action == RuleAction.Drop && _options.SilentDrop) || reply.IsEmpty || !_replies.TryTake(nowMs, client))
        {
            return;
        }
        var length = action == RuleAction.Reject && info.Protocol == IpProtocol.Tcp
            ? Replies.TcpReset(packet, info, reply)
            : ErrorSourceFor(info) is { } from
                ? info.Version == 6
                    ? Replies.IcmpError(packet, info, from, IcmpV6Message.DestinationUnreachable, 1, 0, reply)
                    : Replies.IcmpError(packet, info, from, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachableAdministrativelyProhibited, 0, reply)
                : 0;
        SetReply(ref outcome, length, client);
    }

    private void TimeExceeded(ReadOnlySpan<byte> packet, in PacketInfo info, int sender, long nowMs, Span<byte> reply, ref PacketOutcome outcome)
    {
        if (reply.IsEmpty || FirewallAddressFor(info) is not { } from || !_replies.TryTake(nowMs, sender))
        {
            return;
        }
        var length = info.Version == 6
            ? Replies.IcmpError(packet, info, from, IcmpV6Message.TimeExceeded, 0, 0, reply)
            : Replies.IcmpError(packet, info, from, IcmpV4Message.TimeExceeded, IcmpV4Message.TimeExceededInTransit, 0, reply);
        SetReply(ref outcome, length, sender);
    }

    /// <summary>
    /// A client's IPv4 packet whose options Linux refuses (<see cref="Ipv4Packet.OptionProblemPointer"/>) is
    /// answered as Linux answers it before any hook: parameter problem, code 0, pointing at the octet at
    /// fault, so the sender learns why rather than retrying into silence. Like time exceeded it is no
    /// refusal of the rules (so <c>--silent-drop</c> leaves it), and comes from the same address as
    /// administratively prohibited, within the sender's share of the answers' rate limit. Unlike Linux,
    /// Lethe answers only a client, from one of its own addresses: a packet from the uplink it cannot
    /// read is no flow's, and gets the silence every unsolicited packet from there gets. As Linux, nothing
    /// is said about a packet to a broadcast or multicast address, the uplink prefix's broadcast included.
    /// </summary>
    private void AnswerOptionProblem(Span<byte> packet, int ingress, long nowMs, Span<byte> reply, ref PacketOutcome outcome)
    {
        if (ingress == Ingress.Uplink || reply.IsEmpty)
        {
            return;
        }
        var pointer = Ipv4Packet.OptionProblemPointer(packet);
        if (pointer < 0)
        {
            return;
        }
        var ip = Ipv4Packet.Unchecked(packet);
        var headerLength = ip.HeaderLength;
        var info = new PacketInfo
        {
            Version = 4,
            Source = ip.Source,
            Destination = ip.Destination,
            Protocol = ip.Protocol,
            TotalLength = ip.TotalLength,
            TransportOffset = headerLength,
            IsFragment = ip.IsFragment,
            FragmentOffset = ip.FragmentOffset,
        };
        var compiled = Volatile.Read(ref _active).Compiled;
        var client = compiled.FindClient(info.Source);
        if (client < 0 || (ingress != Ingress.BySource && client != ingress) || info.Source.IsNeverForwarded || info.Destination.IsNeverForwarded
            || info.Destination == _directedBroadcast)
        {
            return;
        }
        outcome.Client = client;
        if (info.Protocol == IpProtocol.Icmp && info.FragmentOffset == 0)
        {
            // No error about an error (Replies.IcmpError reads the type), nor about an ICMP message too short to tell.
            if (info.TotalLength <= headerLength)
            {
                return;
            }
            info.IcmpType = packet[headerLength];
            info.IsIcmpError = IcmpV4Message.IsErrorType(info.IcmpType);
        }
        if (ErrorSourceFor(info) is not { } from || !_replies.TryTake(nowMs, client))
        {
            return;
        }
        var length = Replies.IcmpError(packet[..info.TotalLength], info, from, IcmpV4Message.ParameterProblem, 0, (uint)pointer << 24, reply);
        SetReply(ref outcome, length, client);
    }

    /// <summary>
    /// True when the packet exceeds the MTU of <paramref name="egress"/>; then answers
    /// <paramref name="sender"/> with fragmentation needed / packet too big when it may. Called before
    /// the packet is translated, so the answer is addressed to the sender and quotes what it sent.
    /// </summary>
    private bool TooBig(ReadOnlySpan<byte> packet, in PacketInfo info, int egress, int sender, Span<byte> reply, ref PacketOutcome outcome)
    {
        if (!Exceeds(packet, info, egress))
        {
            return false;
        }
        AnswerTooBig(packet, info, egress, sender, reply, ref outcome);
        return true;
    }

    /// <summary>
    /// Whether the packet exceeds the MTU of <paramref name="egress"/> and may not be cut to fit it. An
    /// IPv4 packet without DF may: it leaves in fragments (<see cref="PacketOutcome.FragmentMtu"/>), as
    /// a router sends it (RFC 791 §2.3, RFC 1812 §5.2.6); IPv6 is never fragmented on the way (RFC 8200 §5).
    /// </summary>
    private bool Exceeds(ReadOnlySpan<byte> packet, in PacketInfo info, int egress) => !MayFragment(info) && LargestSegment(packet, info) > MtuOf(egress);

    private static bool MayFragment(in PacketInfo info) => info.Version == 4 && !info.DontFragment;

    private int MtuOf(int egress) =>
        egress == Ingress.Uplink ? _uplinkMtu : (uint)egress < (uint)_clientMtus.Length ? _clientMtus[egress] : _options.ClientMtu;

    /// <summary>Answers <paramref name="sender"/> of a packet too big for <paramref name="egress"/> when it may (see <see cref="TooBig"/>).</summary>
    private void AnswerTooBig(ReadOnlySpan<byte> packet, in PacketInfo info, int egress, int sender, Span<byte> reply, ref PacketOutcome outcome)
    {
        // IPv4 without DF never gets here: it leaves in fragments (Exceeds). Not rate-limited, as Linux
        // does not limit them: a client's refused traffic using up the answers would otherwise leave
        // another client's path MTU discovery without one, and its connections hanging. Each answer goes to the packet's own sender and is smaller than it.
        if (reply.IsEmpty || (info.Version == 4 && !info.DontFragment) || ErrorSourceFor(info) is not { } from)
        {
            return;
        }
        var mtu = MtuOf(egress);
        outcome.ReplyLength = info.Version == 6
            ? Replies.IcmpError(packet, info, from, IcmpV6Message.PacketTooBig, 0, (uint)mtu, reply)
            : Replies.IcmpError(packet, info, from, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachableFragmentationNeeded, (uint)mtu, reply);
        outcome.ReplyEgress = sender;
    }

    /// <summary>The packet's length on the wire: a super-packet's largest segment, else the packet.</summary>
    private static int LargestSegment(ReadOnlySpan<byte> packet, in PacketInfo info)
    {
        // A fragment cannot be segmented, whatever size its offload header names.
        if (info.SegmentPayload <= 0 || info.IsFragment)
        {
            return info.TotalLength;
        }
        var headers = info.TransportOffset + info.Protocol switch
        {
            IpProtocol.Tcp when info.TransportOffset + 12 < packet.Length => (packet[info.TransportOffset + 12] >> 4) * 4,
            IpProtocol.Udp => 8,
            _ => 0,
        };
        // In 64 bits: a segment size near int.MaxValue would otherwise wrap to a sum that passes any MTU.
        return (int)Math.Min(info.TotalLength, (long)headers + info.SegmentPayload);
    }

    /// <remarks>Called after a token was taken: one that built no answer (Replies refused to, about an error or a broadcast, say) gives it back.</remarks>
    private void SetReply(ref PacketOutcome outcome, int length, int egress)
    {
        if (length == 0)
        {
            _replies.GiveBack(egress);
        }
        outcome.ReplyLength = length;
        outcome.ReplyEgress = egress;
    }

    /// <summary>The firewall's own address of the packet's family, the source of the ICMP it sends.</summary>
    private NetAddress? FirewallAddressFor(in PacketInfo info) => info.Version == 6 ? _options.UplinkV6 : _options.UplinkV4;

    /// <summary>
    /// Where an administratively-prohibited or a too-big answer comes from. A family without an
    /// uplink address is routed untranslated and the firewall has no address in it: the answer then
    /// comes from the address the packet was sent to, so that its sender still learns at once that
    /// the flow is refused, or what path MTU to use (hosts match an ICMP error by the packet it
    /// quotes, not by its source). Time exceeded stays silent there: from the destination it would
    /// make traceroute end one hop early.
    /// </summary>
    private NetAddress? ErrorSourceFor(in PacketInfo info) =>
        FirewallAddressFor(info) ?? (info.Destination.IsNeverForwarded ? null : info.Destination);

    private bool IsFirewallAddress(NetAddress address) => address == _options.UplinkV4 || address == _options.UplinkV6;

    /// <summary>
    /// An address of the firewall's as a client sees it: its own, or the subnet-router anycast its IPv6
    /// prefix makes its own too (the uplink's side sends neither to the anycast, which no flow leaves behind).
    /// </summary>
    private bool IsClientFacingFirewallAddress(NetAddress address) => IsFirewallAddress(address) || address == _subnetRouterAnycast;

    private static int EgressFor(CompiledPolicy compiled, NetAddress destination)
    {
        var client = compiled.FindClient(destination);
        return client >= 0 ? client : Ingress.Uplink;
    }

    private static bool SourceMatches(in FlowKey replyKey, in FlowKey original) =>
        replyKey.Destination == original.Source && replyKey.DestinationPort == original.SourcePort;

    /// <summary>
    /// An ICMP query flow is keyed by addresses and identifier alone; only the request that opened it
    /// (towards the responder) and that request's reply (back) belong to it. So an allowed echo does not
    /// carry a timestamp request, nor the pinged host's own queries. Linux's conntrack keys ICMP by type
    /// and would judge another query type with the same identifier as a flow of its own; here it is
    /// dropped while the first flow lives, which is stricter, and real clients do not reuse identifiers so.
    /// </summary>
    private bool FitsIcmpFlow(int entry, bool isReply, in PacketInfo info)
    {
        var request = _table.IcmpRequestOf(entry);
        var expected = !isReply ? request : info.Version == 6 ? IcmpV6Message.ReplyTypeOf(request) : IcmpV4Message.ReplyTypeOf(request);
        return info.IcmpType == expected;
    }

    private static bool IsIcmp(in PacketInfo info) => info.Protocol == (info.Version == 6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp);

    /// <summary>ICMPv4 carried over IPv6 or ICMPv6 over IPv4: no stack sends it, and conntrack calls it invalid.</summary>
    private static bool IsOtherFamilysIcmp(in PacketInfo info) =>
        info.Protocol == (info.Version == 6 ? IpProtocol.Icmp : IpProtocol.IcmpV6);

    private static bool IsIcmpQuery(in PacketInfo info) =>
        IsIcmp(info) && (info.Version == 6 ? IcmpV6Message.IsQueryType(info.IcmpType) : IcmpV4Message.IsQueryType(info.IcmpType));

    private static bool IsIcmpRequest(in PacketInfo info) =>
        info.Version == 6 ? IcmpV6Message.IsRequestType(info.IcmpType) : IcmpV4Message.IsRequestType(info.IcmpType);

    private static void DecrementHopLimit(Span<byte> packet, ref PacketInfo info)
    {
        info.HopLimit--;
        if (info.Version == 6)
        {
            packet[7] = info.HopLimit;
            return;
        }
        var old = BinaryPrimitives.ReadUInt16BigEndian(packet[8..]);
        packet[8] = info.HopLimit;
        var updated = BinaryPrimitives.ReadUInt16BigEndian(packet[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], Checksum.Update(BinaryPrimitives.ReadUInt16BigEndian(packet[10..]), old, updated));
    }

    private PacketOutcome Drop(ref PacketOutcome outcome, DropReason reason)
    {
        outcome.Forwarded = false;
        outcome.Reason = reason;
        Drops[(int)reason]++;
        return outcome;
    }
}
