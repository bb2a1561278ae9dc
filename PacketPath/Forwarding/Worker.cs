using System.Diagnostics;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// One thread of the data plane: it serves queue <see cref="Index"/> of every device, owns one
/// engine (and so one shard of the connection table), and is the only thread that touches either.
/// A packet of a flow another worker owns is handed to that worker through a ring; nothing is
/// locked, nothing is allocated per packet.
/// </summary>
/// <remarks>
/// Every buffer has <see cref="VirtioNetHeader.Size"/> bytes before the packet: a device with the
/// virtio-net header reads its header there; for one without it they stay zero. So a packet leaves
/// with its header in one write and no copy, whether it is whole or a super-packet, and a device
/// that cannot take a super-packet gets it split (<see cref="Segmentation.TrySplit"/>) instead. The
/// other way round, UDP datagrams of one flow read in one batch leave as one super-packet
/// (<see cref="UdpCoalescer"/>) by a device that takes USO.
/// </remarks>
public sealed class Worker
{
    private const int Headroom = VirtioNetHeader.Size;
    private const int NotInPolicy = -3;
    private const int ReadBatch = 64;
    private const int IdleWaitMs = 1000;
    private const int MaxSegments = 512;
    private const int HandoffWaitMs = 2;

    /// <summary>How often, at most, a worker with no packet to handle has its engine sweep (<see cref="PacketEngine.Sweep"/>).</summary>
    private static readonly long SweepEvery = Stopwatch.Frequency;

    private readonly PacketEngine _engine;
    private readonly AttachedDevice[] _devices;
    private readonly DeviceMtus _mtus;
    private readonly FlowShards _shards;
    private readonly QueuePoller _poller;
    private readonly byte[] _frame;
    private readonly byte[] _reply;
    private readonly byte[] _split;
    // One fragment at a time; its header room stays zero, the header of a plain packet.
    private readonly byte[] _fragment;
    private readonly Range[] _segments = new Range[MaxSegments];
    private readonly UdpCoalescer _coalescer = new();
    private readonly FragmentRoutes _fragmentRoutes;
    private FragmentHold? _hold;
    private DropLog? _dropLog;
    private FlowListing? _listing;
    private readonly Action<Exception> _failed;
    private HandoffRing?[] _outbox = [];
    private HandoffRing[] _inbox = [];
    private Worker[] _peers = [];
    private bool[] _wakePeer = [];
    private int[] _ingressOf = [];
    private int[] _deviceOf = [];
    private int _uplinkDevice = -1;
    private int _mtuVersion = -1;
    private PendingSwap? _pending;
    private volatile bool _stopping;
    private bool _handingOff;
    // When the sleep going on began (Stopwatch), across the timeouts that look at held fragments; 0: awake.
    private long _asleepSince;
    // When the engine last swept (Stopwatch): a worker that starts idle sweeps at once.
    private long _sweptAt = long.MinValue / 2;

    internal Worker(int index, PacketEngine engine, AttachedDevice[] devices, DeviceMtus mtus, FlowShards shards, FragmentRoutes fragmentRoutes,
        Action<Exception> failed)
    {
        Index = index;
        _fragmentRoutes = fragmentRoutes;
        _engine = engine;
        _devices = devices;
        _mtus = mtus;
        _shards = shards;
        _failed = failed;
        var queues = new (TunDevice, int)[devices.Length];
        for (var d = 0; d < devices.Length; d++)
        {
            queues[d] = (devices[d].Device, index);
            if (devices[d].IsUplink)
            {
                _uplinkDevice = d;
            }
        }
        _poller = new QueuePoller(queues);
        _frame = GC.AllocateUninitializedArray<byte>(Headroom + TunDevice.MaxPacketLength, pinned: true);
        _reply = GC.AllocateArray<byte>(Headroom + 2048, pinned: true);
        _split = GC.AllocateUninitializedArray<byte>(2 * (Headroom + TunDevice.MaxPacketLength), pinned: true);
        _fragment = GC.AllocateArray<byte>(Headroom + TunDevice.MaxPacketLength, pinned: true);
        MapDevices(engine.Policy);
    }

    public int Index { get; }

    public PacketEngine Engine => _engine;

    public WorkerCounters Counters { get; } = new();

    internal void Connect(Worker[] peers, HandoffRing?[] outbox, HandoffRing[] inbox)
    {
        _peers = peers;
        _outbox = outbox;
        _inbox = inbox;
        _wakePeer = new bool[peers.Length];
    }

    /// <summary>From any thread: the worker swaps in <paramref name="swap"/>'s policy before its next packet.</summary>
    internal void Post(PendingSwap swap)
    {
        Volatile.Write(ref _pending, swap);
        _poller.Wake();
    }

    /// <summary>From any thread: the worker copies its tracked flows into <paramref name="listing"/> before its next packet.</summary>
    internal void Post(FlowListing listing)
    {
        Volatile.Write(ref _listing, listing);
        _poller.Wake();
    }

    internal void Stop()
    {
        _stopping = true;
        _poller.Wake();
    }

    internal void Wake() => _poller.Wake();

    internal void DisposePoller() => _poller.Dispose();

    /// <summary>The CPU this worker's thread keeps to, or -1 when the scheduler places it (also when the kernel refused the CPU).</summary>
    public int Cpu { get; internal set; } = -1;

    /// <summary>Where it notes the packets it drops for the log (<c>boot --log-drops</c>); null: it notes none.</summary>
    public DropLog? DropLog
    {
        get => _dropLog;
        internal set => _dropLog = value;
    }

    /// <summary>How long it polls its empty queues at idle priority before it sleeps; null: it sleeps at once.</summary>
    public IdlePollWindow? IdlePoll { get; internal set; }

    /// <summary>What the guard (set with <see cref="IdlePoll"/>) knows of this worker's polls.</summary>
    internal IdlePollSlot PollSlot { get; } = new();

    internal IdlePollGuard? PollGuard { get; set; }

    /// <summary>Signalled once the thread has kept to its CPU (or found it may not), so <see cref="Cpu"/> is what it is.</summary>
    internal CountdownEvent? Placed { get; set; }

    internal void Run()
    {
        if (Cpu >= 0 && !CpuAffinity.TryPinCurrentThread(Cpu))
        {
            Cpu = -1;
        }
        Placed?.Signal();
        PollSlot.Bind(ThreadPolicy.CurrentThreadId());
        // Here, not when built: the devices' MTUs are read by now.
        _hold ??= new FragmentHold(Headroom + LargestMtu(), Math.Max(1, _devices.Length)); // a test's worker may have no device
        try
        {
            while (!_stopping)
            {
                ApplyPendingSwap();
                if (Volatile.Read(ref _listing) is not null)
                {
                    Interlocked.Exchange(ref _listing, null)?.Fill(Index, _engine, Environment.TickCount64);
                }
                if (_mtus.Version != _mtuVersion)
                {
                    PushMtus();
                }
                var busy = DrainInbox();
                for (var d = 0; d < _devices.Length; d++)
                {
                    busy |= ReadFrom(d);
                }
                if (_hold.Count > 0)
                {
                    busy |= RetryHeld(Environment.TickCount64);
                }
                WakePeers();
                if (busy || PollWhileIdle())
                {
                    _asleepSince = 0;
                    continue;
                }
                SweepWhenDue();
                var asleep = _asleepSince != 0 ? _asleepSince : Stopwatch.GetTimestamp();
                var woken = _poller.Wait(WaitMs(_hold));
                var woke = Stopwatch.GetTimestamp();
                var slept = Stopwatch.GetElapsedTime(asleep, woke);
                // A timeout that only looks at held fragments again is no packet: the sleep goes on,
                // counted from when it began, so those wake-ups cannot keep an idle worker polling.
                var counted = true;
                if (IdlePoll is { } window)
                {
                    if (woken)
                    {
                        window.Slept(slept, woke);
                    }
                    else
                    {
                        counted = window.TimedOut(slept, woke);
                    }
                }
                _asleepSince = counted ? 0 : asleep;
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            _failed(e);
        }
    }

    /// <summary>
    /// With nothing to handle, about once a second (the idle worker's wake-up; wake-ups in between, for
    /// packets or held fragments, do not sweep again): timed-out flows are forgotten and an expired
    /// rule's flows cut without waiting for a packet. A busy worker needs none: its packets do that.
    /// </summary>
    /// <remarks>
    /// Timed by the high-resolution clock: poll(2)'s second is at least a second on it, where
    /// <see cref="Environment.TickCount64"/>, a coarse clock, may read a few milliseconds short and skip
    /// every other wake-up.
    /// </remarks>
    private void SweepWhenDue()
    {
        var now = Stopwatch.GetTimestamp();
        if (now - _sweptAt < SweepEvery)
        {
            return;
        }
        _sweptAt = now;
        _engine.Sweep(Environment.TickCount64);
    }

    /// <summary>
    /// Looks at the queues (poll(2) with no timeout) until one has a packet or the window closes,
    /// at SCHED_IDLE: any other thread that wants this CPU gets it, and the worker finds the next
    /// packet without being woken. It handles that packet back at normal priority. If a busy
    /// process takes the core meanwhile, <see cref="IdlePollGuard"/> moves the worker back to
    /// normal priority, and it stops polling for a while (<see cref="IdlePollWindow.Starved"/>).
    /// </summary>
    /// <returns>Whether a packet or a wake-up came.</returns>
    private bool PollWhileIdle()
    {
        if (IdlePoll is not { Microseconds: > 0 } window || PollGuard is not { } guard)
        {
            return false;
        }
        var start = Stopwatch.GetTimestamp();
        // Seen by the guard before the worker is at idle priority, so it is never there unwatched.
        PollSlot.Entered(start);
        guard.Polling();
        if (!ThreadPolicy.TrySetIdle())
        {
            PollSlot.Left();
            return false;
        }
        var until = start + window.Microseconds * Stopwatch.Frequency / 1_000_000;
        var found = false;
        while (!_stopping && !found && Stopwatch.GetTimestamp() < until)
        {
            found = _poller.Wait(0);
        }
        // Back to normal before leaving the guard's watch: preempted in between, it would be unwatched at idle priority.
        var errno = ThreadPolicy.SetNormal();
        if (PollSlot.Left())
        {
            window.Starved(Stopwatch.GetTimestamp());
        }
        else
        {
            window.Polled();
        }
        if (errno != 0)
        {
            // Forwarding on at idle priority would starve behind any busy process; stop instead.
            throw new InvalidOperationException($"worker {Index} could not leave SCHED_IDLE after polling (errno {errno})");
        }
        return found;
    }

    private bool ReadFrom(int device)
    {
        var tun = _devices[device].Device;
        var offset = tun.HasVirtioHeader ? 0 : Headroom;
        if (offset > 0)
        {
            _frame.AsSpan(0, Headroom).Clear();
        }
        for (var n = 0; n < ReadBatch; n++)
        {
            var length = tun.TryRead(Index, _frame.AsSpan(offset));
            if (length <= 0)
            {
                Flush();
                return n > 0;
            }
            Counters.Received++;
            Handle(_frame.AsSpan(0, offset + length), device, handedOver: false);
        }
        Flush();
        return true;
    }

    private bool DrainInbox()
    {
        var busy = false;
        foreach (var ring in _inbox)
        {
            for (var n = 0; n < ReadBatch && ring.TryPeek(out var frame, out var device, out var expiresAtMs); n++)
            {
                Handle(frame, device, handedOver: true, expiresAtMs);
                ring.Release();
                busy = true;
            }
        }
        Flush();
        return busy;
    }

    /// <summary>
    /// How long to sleep with nothing to read: while a held fragment waits for its datagram's
    /// worker to be known, that is looked for again every millisecond (the note is another
    /// worker's, and no wake-up comes with it); a held fragment that runs out is dropped on time.
    /// </summary>
    private static int WaitMs(FragmentHold hold)
    {
        if (hold.Count == 0)
        {
            return IdleWaitMs;
        }
        if (hold.Unrouted > 0)
        {
            return 1;
        }
        return (int)Math.Clamp(hold.NextExpiryMs - Environment.TickCount64 + 1, 1, IdleWaitMs);
    }

    /// <summary>The largest MTU of the devices, as read at start (1500 while unknown): the largest fragment a worker holds.</summary>
    private int LargestMtu()
    {
        var largest = 1500;
        for (var d = 0; d < _devices.Length; d++)
        {
            largest = Math.Max(largest, _mtus[d]);
        }
        return Math.Min(largest, TunDevice.MaxPacketLength);
    }

    /// <param name="expiresAtMs">A held fragment handed over: when its hold runs out; else 0.</param>
    private void Handle(Span<byte> frame, int device, bool handedOver, long expiresAtMs = 0)
    {
        if (frame.Length <= Headroom)
        {
            return;
        }
        var header = VirtioNetHeader.Read(frame);
        var packet = frame[Headroom..];
        var parsed = PacketParser.TryParse(packet, out var info, out _);
        // Checked once, by the worker that read it: a packet handed over has passed already.
        if (parsed && !handedOver && !OffloadHeaderCheck.Fits(header, info))
        {
            if (!OffloadHeaderCheck.IsInnerChecksumOnly(header, info, packet)
                || !Segmentation.CompleteChecksum(header, packet[..info.TotalLength]))
            {
                Counters.OffloadHeaderMismatch++;
                return;
            }
            // Written back too, so that a worker this is handed to reads a packet with nothing left to do.
            header = VirtioNetHeader.None;
            header.WriteTo(frame);
        }
        var now = Environment.TickCount64;
        if (!handedOver && _shards.Count > 1)
        {
            // A packet that does not parse is dropped by shard 0's engine, which names the reason.
            var owner = 0;
            if (parsed && !_fragmentRoutes.TryOwnerOf(_shards, packet, info, now, out owner, device))
            {
                // A later fragment read before its first: held until the first one's reader notes its
                // worker, unless it could never pass (a TCP segment's, say), which the engine drops at once.
                if (TryHold(frame, device, info, routed: false, now))
                {
                    return;
                }
                owner = Index;
            }
            if (owner != Index)
            {
                HandOff(frame, device, owner);
                return;
            }
        }
        Judge(frame, header, device, info, parsed, held: false, now, expiresAtMs);
        if (parsed && info.IsFragment && _hold is { Count: > 0 })
        {
            ReleaseHeld(FragmentKey.From(info), now);
        }
    }

    /// <summary>
    /// Holds a later fragment that came early, in the share of the client it belongs to (that
    /// client's device; the uplink's for one addressed to the firewall's own address whose client
    /// is not known yet), unless it could never pass (<see cref="PacketEngine.MayHold"/>). One it
    /// pushed out of the hold is dropped as the fragment without flow it was.
    /// </summary>
    private bool TryHold(ReadOnlySpan<byte> frame, int device, in PacketInfo info, bool routed, long now, long expiresAtMs = 0)
    {
        var ingress = _ingressOf[device];
        if (_hold is not { } hold || ingress == NotInPolicy || !_engine.MayHold(info, ingress, now, out var client))
        {
            return false;
        }
        var share = DeviceFor(client);
        // While handing a held slot's fragment off, a fragment from the inbox may take a free slot only.
        if (share < 0 || !hold.TryHold(frame, device, share, info, routed, now, out var displaced, expiresAtMs, displace: !_handingOff))
        {
            return false;
        }
        if (displaced)
        {
            _engine.DropHeldFragment();
        }
        return true;
    }

    /// <summary>
    /// The engine's verdict on a packet this worker owns, and what follows from it: the fragment
    /// route forgotten, the answer and the packet sent, or a later fragment that came early held.
    /// </summary>
    /// <param name="held">The frame is a held fragment's, whose turn has come: it is not held again.</param>
    /// <param name="expiresAtMs">A held fragment handed over: when its hold runs out (held again, it keeps that); else 0.</param>
    private void Judge(Span<byte> frame, in VirtioNetHeader header, int device, in PacketInfo info, bool parsed, bool held, long now,
        long expiresAtMs = 0)
    {
        var ingress = _ingressOf[device];
        if (ingress == NotInPolicy)
        {
            Counters.NoDevice++;
            return;
        }
        var packet = frame[Headroom..];
        var offload = new Offload(header.NeedsChecksum, header.IsGso ? header.GsoSize : 0);
        var reply = _reply.AsSpan(Headroom);
        // While handing off from a held slot, only into a free slot: pushing one out could take that slot's place.
        var mayHold = !held && parsed && info.IsFragment && _hold is { } hold && hold.Fits(frame.Length)
            && (!_handingOff || hold.Count < FragmentHold.Slots);
        var outcome = parsed
            ? _engine.Process(packet, info, ingress, now, reply, offload, mayHold)
            : _engine.Process(packet, packet.Length, ingress, now, reply, offload);
        if (outcome.Early)
        {
            if (!TryHold(frame, device, info, routed: true, now, expiresAtMs))
            {
                _engine.DropHeldFragment();
            }
            return;
        }
        if (!outcome.Forwarded && outcome.Reason != DropReason.None && _dropLog is { } drops)
        {
            drops.Add(now, info, parsed, packet.Length, outcome, ingress, _engine.Policy);
        }
        if (parsed && info.IsFragment && _shards.Count > 1 && DatagramEnded(info, outcome, now))
        {
            _fragmentRoutes.Forget(info, Index);
        }
        if (outcome.ReplyLength > 0)
        {
            SendReply(outcome.ReplyEgress, outcome.ReplyLength);
        }
        if (!outcome.Forwarded)
        {
            return;
        }
        var egress = DeviceFor(outcome.Egress);
        if (egress < 0)
        {
            Counters.NoDevice++;
            return;
        }
        if (outcome.FragmentMtu > 0)
        {
            Flush();
            SendFragments(_devices[egress].Device, header, frame[..(Headroom + outcome.Length)], outcome.FragmentMtu);
            return;
        }
        Forward(egress, header, frame[..(Headroom + outcome.Length)]);
    }

    /// <summary>
    /// Sends the held fragments of <paramref name="key"/>'s datagram whose turn has come now that a
    /// fragment of it was judged, lowest offset first, each judged as if it had come in order.
    /// </summary>
    private void ReleaseHeld(in FragmentKey key, long now)
    {
        var hold = _hold!;
        while (true)
        {
            var next = -1;
            for (var slot = 0; slot < FragmentHold.Slots; slot++)
            {
                if (hold.Holds(slot, key) && hold.IsRouted(slot) && !hold.IsExpired(slot, now) && (next < 0 || hold.Info(slot).FragmentOffset < hold.Info(next).FragmentOffset)
                    && _ingressOf[hold.Device(slot)] is var ingress && ingress != NotInPolicy && _engine.Continues(hold.Info(slot), ingress, now))
                {
                    next = slot;
                }
            }
            if (next < 0)
            {
                return;
            }
            JudgeHeld(next, now);
        }
    }

    private void JudgeHeld(int slot, long now)
    {
        var hold = _hold!;
        var frame = hold.Frame(slot);
        Judge(frame, VirtioNetHeader.Read(frame), hold.Device(slot), hold.Info(slot), parsed: true, held: true, now);
        hold.Free(slot);
    }

    /// <summary>
    /// Once a pass of the loop while fragments are held: each from a device the policy no longer
    /// names is dropped as no device, as it would be now; each whose time ran out is dropped as the
    /// fragment without flow it turned out to be; one waiting for its datagram's worker goes there
    /// once that is noted; one whose turn came here is judged.
    /// </summary>
    /// <returns>Whether any was sent on or dropped.</returns>
    private bool RetryHeld(long now)
    {
        var hold = _hold!;
        var busy = false;
        for (var slot = 0; slot < FragmentHold.Slots; slot++)
        {
            if (!hold.IsHeld(slot))
            {
                continue;
            }
            if (_ingressOf[hold.Device(slot)] == NotInPolicy)
            {
                // A swap removed the client it came from: dropped as it would be if it came now.
                hold.Free(slot);
                Counters.NoDevice++;
                busy = true;
                continue;
            }
            if (hold.IsExpired(slot, now))
            {
                hold.Free(slot);
                _engine.DropHeldFragment();
                busy = true;
                continue;
            }
            var frame = hold.Frame(slot);
            if (!hold.IsRouted(slot))
            {
                if (!_fragmentRoutes.TryOwnerOf(_shards, frame[Headroom..], hold.Info(slot), now, out var owner, hold.Device(slot)))
                {
                    continue;
                }
                if (owner != Index)
                {
                    HandOff(frame, hold.Device(slot), owner, hold.ExpiresAt(slot));
                    hold.Free(slot);
                    busy = true;
                    continue;
                }
                hold.Route(slot);
            }
            var ingress = _ingressOf[hold.Device(slot)];
            if (ingress != NotInPolicy && _engine.Continues(hold.Info(slot), ingress, now))
            {
                var key = FragmentKey.From(hold.Info(slot));
                JudgeHeld(slot, now);
                ReleaseHeld(key, now);
                busy = true;
            }
        }
        if (busy)
        {
            Flush();
        }
        return busy;
    }

    /// <summary>Its last fragment passed, or its first was dropped and no datagram of the key is passing here.</summary>
    private bool DatagramEnded(in PacketInfo info, in PacketOutcome outcome, long nowMs) =>
        info.FragmentOffset == 0
            ? !outcome.Forwarded && !_engine.HoldsFragmentPass(info, nowMs)
            : PacketEngine.Passed(outcome) && !info.MoreFragments;

    /// <remarks>
    /// A datagram that can be coalesced waits in <see cref="_coalescer"/> until the batch being read
    /// ends or something else is written; so every packet still leaves in the order it was read.
    /// </remarks>
    private void Forward(int egress, in VirtioNetHeader header, Span<byte> frame)
    {
        var device = _devices[egress].Device;
        if (device.HasVirtioHeader && (device.Offloads & TunOffloads.Uso) == TunOffloads.Uso)
        {
            var packet = frame[Headroom..];
            if (_coalescer.TryAdd(egress, header, packet))
            {
                return;
            }
            if (_coalescer.Count > 0)
            {
                // It could not join the pending datagrams; it may start the next batch.
                Flush();
                if (_coalescer.TryAdd(egress, header, packet))
                {
                    return;
                }
            }
        }
        else
        {
            Flush();
        }
        Send(device, header, frame);
    }

    /// <summary>Writes what <see cref="_coalescer"/> holds: one datagram as it came, more as one USO super-packet.</summary>
    private void Flush()
    {
        var device = _coalescer.Device;
        var count = _coalescer.Count;
        if (count == 0)
        {
            return;
        }
        if (!_devices[device].Device.Write(Index, _coalescer.Take()))
        {
            Counters.WriteFailed += count;
        }
        else if (count > 1)
        {
            Counters.Coalesced += count;
        }
    }

    /// <remarks>
    /// A full ring first makes this worker wait a little, so that a stream arriving at the wrong
    /// queue slows its reader instead of losing packets. While it waits it serves its own inbox:
    /// two workers waiting on each other's full rings would otherwise wait forever. The frame is
    /// in <c>_frame</c>, or a held fragment's slot, neither of which serving the inbox touches
    /// (meanwhile it holds fragments in free slots only, so none can take that slot, and judges only
    /// those whose worker is this one).
    /// </remarks>
    private void HandOff(ReadOnlySpan<byte> frame, int device, int owner, long expiresAtMs = 0)
    {
        var ring = _outbox[owner]!;
        var waitUntil = 0L;
        while (!ring.TryPut(frame, device, expiresAtMs))
        {
            var now = Environment.TickCount64;
            if (waitUntil == 0)
            {
                waitUntil = now + HandoffWaitMs;
                _peers[owner].Wake();
            }
            else if (now > waitUntil || _stopping)
            {
                Counters.HandoffFull++;
                return;
            }
            _handingOff = true;
            var drained = DrainInbox();
            _handingOff = false;
            if (!drained)
            {
                Thread.Yield();
            }
        }
        Counters.HandedOff++;
        _wakePeer[owner] = true;
    }

    private void WakePeers()
    {
        for (var w = 0; w < _wakePeer.Length; w++)
        {
            if (_wakePeer[w])
            {
                _wakePeer[w] = false;
                _peers[w].Wake();
            }
        }
    }

    private void Send(TunDevice device, in VirtioNetHeader header, Span<byte> frame)
    {
        if (device.HasVirtioHeader && (!header.IsGso || Takes(device.Offloads, header.Gso)))
        {
            CountFailedWrite(device.Write(Index, frame));
            return;
        }
        var packet = frame[Headroom..];
        if (!header.IsGso)
        {
            // Only a device without the header gets here: it needs the checksum complete.
            if (!Segmentation.CompleteChecksum(header, packet))
            {
                Counters.SplitFailed++;
                return;
            }
            CountFailedWrite(device.Write(Index, packet));
            return;
        }
        var headroom = device.HasVirtioHeader ? Headroom : 0;
        // A small MSS can make more segments than the buffers hold; they go out a bufferful at a time.
        var first = 0;
        int left;
        do
        {
            if (!Segmentation.TrySplitFrom(header, packet, first, _split, _segments, out var count, out left, out _, headroom))
            {
                Counters.SplitFailed++;
                return;
            }
            for (var i = 0; i < count; i++)
            {
                var start = _segments[i].Start.Value - headroom;
                CountFailedWrite(device.Write(Index, _split.AsSpan(start, _segments[i].End.Value - start)));
            }
            first += count;
        }
        while (left > 0);
        Counters.Split++;
    }

    /// <summary>
    /// An IPv4 packet without DF larger than <paramref name="mtu"/>, the MTU of the device it leaves
    /// by: its transport checksum completed first (no fragment but the first holds the field, and the
    /// receiver checks it on the whole datagram), then cut into fragments (<see cref="Ipv4Fragmenter"/>),
    /// each written as a plain packet. A super-packet is split into its segments first, and each
    /// segment over the MTU is cut, as Linux's ip_finish_output_gso does.
    /// </summary>
    private void SendFragments(TunDevice device, in VirtioNetHeader header, Span<byte> frame, int mtu)
    {
        var packet = frame[Headroom..];
        if (!header.IsGso)
        {
            if (!Segmentation.CompleteChecksum(header, packet))
            {
                Counters.SplitFailed++;
                return;
            }
            if (WriteFragments(device, packet, mtu))
            {
                Counters.Fragmented++;
            }
            return;
        }
        var headroom = device.HasVirtioHeader ? Headroom : 0;
        var first = 0;
        var cut = false;
        int left;
        do
        {
            if (!Segmentation.TrySplitFrom(header, packet, first, _split, _segments, out var count, out left, out _, headroom))
            {
                Counters.SplitFailed++;
                return;
            }
            for (var i = 0; i < count; i++)
            {
                var (start, end) = (_segments[i].Start.Value, _segments[i].End.Value);
                if (end - start > mtu)
                {
                    cut |= WriteFragments(device, _split.AsSpan(start, end - start), mtu);
                }
                else
                {
                    CountFailedWrite(device.Write(Index, _split.AsSpan(start - headroom, end - start + headroom)));
                }
            }
            first += count;
        }
        while (left > 0);
        Counters.Split++;
        if (cut)
        {
            Counters.Fragmented++;
        }
    }

    /// <returns>False, counted as split-failed, when the packet cannot be cut (its header leaves no room for 8 data bytes within the MTU).</returns>
    private bool WriteFragments(TunDevice device, ReadOnlySpan<byte> packet, int mtu)
    {
        var headroom = device.HasVirtioHeader ? Headroom : 0;
        var from = 0;
        do
        {
            var length = Ipv4Fragmenter.Write(packet, mtu, from, _fragment.AsSpan(Headroom), out from);
            if (length == 0)
            {
                Counters.SplitFailed++;
                return false;
            }
            CountFailedWrite(device.Write(Index, _fragment.AsSpan(Headroom - headroom, headroom + length)));
        }
        while (from != 0);
        return true;
    }

    private void SendReply(int egress, int length)
    {
        var device = DeviceFor(egress);
        if (device < 0)
        {
            return;
        }
        Flush();
        var tun = _devices[device].Device;
        // The header room stays zero: a reply is a plain packet with its checksums complete.
        var offset = tun.HasVirtioHeader ? 0 : Headroom;
        CountFailedWrite(tun.Write(Index, _reply.AsSpan(offset, Headroom + length - offset)));
    }

    private void CountFailedWrite(bool written)
    {
        if (!written)
        {
            Counters.WriteFailed++;
        }
    }

    private int DeviceFor(int egress) =>
        egress == Ingress.Uplink ? _uplinkDevice : (uint)egress < (uint)_deviceOf.Length ? _deviceOf[egress] : -1;

    /// <summary>Whether a device whose kernel side accepted <paramref name="offloads"/> takes a super-packet of <paramref name="gso"/> whole.</summary>
    private static bool Takes(TunOffloads offloads, VirtioGsoType gso) => gso switch
    {
        VirtioGsoType.TcpV4 => (offloads & TunOffloads.Tso4) != 0,
        VirtioGsoType.TcpV6 => (offloads & TunOffloads.Tso6) != 0,
        VirtioGsoType.UdpL4 => (offloads & TunOffloads.Uso) == TunOffloads.Uso,
        _ => false,
    };

    private void ApplyPendingSwap()
    {
        var swap = Interlocked.Exchange(ref _pending, null);
        if (swap is null)
        {
            return;
        }
        var cut = _engine.Swap(swap.PolicyFor(Index), Environment.TickCount64);
        MapDevices(_engine.Policy);
        swap.Done(cut);
    }

    /// <summary>Client numbering may change with every snapshot; devices are known by client name.</summary>
    private void MapDevices(ActivePolicy policy)
    {
        var compiled = policy.Compiled;
        var ingressOf = new int[_devices.Length];
        var deviceOf = new int[compiled.ClientCount];
        Array.Fill(deviceOf, -1);
        for (var d = 0; d < _devices.Length; d++)
        {
            if (_devices[d].Client is not { } name)
            {
                ingressOf[d] = Ingress.Uplink;
                continue;
            }
            var client = compiled.ClientIndex(name);
            ingressOf[d] = client >= 0 ? client : NotInPolicy;
            if (client >= 0)
            {
                deviceOf[client] = d;
            }
        }
        _ingressOf = ingressOf;
        _deviceOf = deviceOf;
        // A worker with no device at all reads no packet (boot only verifies and watches); its engine is left as a replay's.
        if (_devices.Length > 0)
        {
            var served = new bool[deviceOf.Length];
            for (var c = 0; c < served.Length; c++)
            {
                served[c] = deviceOf[c] >= 0;
            }
            _engine.SetEgressDevices(_uplinkDevice >= 0, served);
        }
        PushMtus();
    }

    /// <summary>Hands the engine the MTU of each client's device and the uplink's, by the running policy's client numbers.</summary>
    private void PushMtus()
    {
        _mtuVersion = _mtus.Version;
        var byClient = new int[_deviceOf.Length];
        for (var c = 0; c < byClient.Length; c++)
        {
            byClient[c] = _deviceOf[c] >= 0 ? _mtus[_deviceOf[c]] : 0;
        }
        _engine.SetEgressMtus(_uplinkDevice >= 0 ? _mtus[_uplinkDevice] : 0, byClient);
    }
}
