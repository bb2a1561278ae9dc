using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// The worker a packet goes to, fragments included. A later fragment carries no ports, so it cannot
/// name its flow's shard: the worker that reads a datagram's first fragment notes here which shard
/// its flow went to, and whichever worker reads a later fragment sends it there, while the note is
/// live (its datagram still passing, at most 30 s). Meanwhile another first fragment of the same key goes to
/// the noted worker too, which drops it as a second first fragment, as one worker would: a forged
/// or reused one can neither move the route of the datagram passing nor be forwarded beside it.
/// The worker holding the pass forgets the note when the datagram ends or its first fragment is
/// dropped. Shared by the workers without a lock: each note is one 64-bit word (the key's hash, a
/// time in seconds, the owner), written whole, so a reader sees a whole note or none.
/// </summary>
/// <remarks>
/// One table for all workers, not one per reader: the kernel picks a TUN queue for a fragment by
/// its addresses and by which queue last wrote a packet with those addresses, so two flows to one
/// remote host that belong to different workers can move its datagrams' fragments from one queue to
/// another between a first fragment and the rest. Each note goes into two slots chosen by different
/// bits of the hash (into one only, when the other holds a live note of another datagram), and a
/// reader takes either: a route is lost only when both of its slots are overwritten, which a note
/// does only where both of its own are taken. Then it takes the slot whose note came by the same
/// device, if only one did, else the older: a client whose first fragments pass by the thousand,
/// their rest never coming, fills the table with notes of its own and then replaces those, where
/// it used to replace the routes of other clients' datagrams on their way (the uplink is one
/// device, so what comes from the internet shares one such part).
/// </remarks>
public sealed class FragmentRoutes
{
    private const int Slots = 16384;
    private const ulong OwnerMask = 0xFF;
    private const int TimeShift = 8;
    private const ulong TimeMask = 0xFF_FFFF;
    // The tag is the hash's top half; the slots are picked by bits below it, so a tag tells apart all it meets in a slot.
    private const ulong TagMask = ~0xFFFF_FFFFUL;

    /// <summary>
    /// A pass lasts 30 s to the millisecond and a note keeps whole seconds, so a note is live while
    /// its age in whole seconds is at most 30, a little longer than its pass; and workers read the
    /// clock each for itself, so a note a second or two "in the future" is live too. The 24-bit
    /// seconds wrap after 194 days.
    /// </summary>
    private const ulong LiveSeconds = 30;
    private const ulong ClockSkewSeconds = 2;
    private readonly ulong[] _notes = new ulong[Slots];
    // The device each slot's note came by, written after the note without a barrier: a share read beside
    // another worker's newer note only misjudges which note gives way, never where a fragment goes.
    private readonly int[] _shares = new int[Slots];
    private readonly ulong _seed;

    public FragmentRoutes(ulong seed) => _seed = seed;

    /// <summary>
    /// The shard of <paramref name="packet"/> (<see cref="FlowOwner.Of"/>); 0 for a later fragment whose
    /// first fragment's route is not noted, or no longer live (the worker uses <see cref="TryOwnerOf"/> and holds such a fragment).
    /// </summary>
    public int OwnerOf(FlowShards shards, ReadOnlySpan<byte> packet, in PacketInfo info, long nowMs, int share = 0) =>
        TryOwnerOf(shards, packet, info, nowMs, out var owner, share) ? owner : 0;

    /// <summary>
    /// As <see cref="OwnerOf"/>, but false for a later fragment whose first fragment's route is not
    /// noted (yet), or noted longer ago than a datagram passes: its reader may hold it until it is.
    /// </summary>
    /// <param name="share">The device the packet came by: a first fragment's note takes the place of one of its own device's first.</param>
    public bool TryOwnerOf(FlowShards shards, ReadOnlySpan<byte> packet, in PacketInfo info, long nowMs, out int owner, int share = 0)
    {
        owner = 0;
        if (!info.IsFragment)
        {
            owner = FlowOwner.Of(shards, packet, info);
            return true;
        }
        var hash = FragmentKey.From(info).Hash(_seed);
        ref var one = ref OneSlot(hash);
        ref var other = ref OtherSlot(hash);
        var tag = hash & TagMask;
        var now = (ulong)(nowMs / 1000) & TimeMask;
        var seen = Volatile.Read(ref one);
        if ((seen & TagMask) != tag)
        {
            seen = Volatile.Read(ref other);
        }
        // A note outlives its datagram when nobody forgot it (its last fragment lost, a swap cut it), and the
        // sender's 16-bit identification comes round: one no longer live is another datagram's, whose
        // worker may not be this one's, so a later fragment waits for its own first fragment's note.
        var noted = seen != 0 && (seen & TagMask) == tag && IsLive(seen, now);
        if (info.FragmentOffset != 0)
        {
            owner = noted ? (int)(seen & OwnerMask) - 1 : 0;
            return noted;
        }
        if (noted)
        {
            owner = (int)(seen & OwnerMask) - 1;
            return true;
        }
        owner = FlowOwner.Of(shards, packet, info);
        var note = tag | now << TimeShift | (uint)(owner + 1);
        // A live note of another datagram is kept while the other slot is free, so first fragments
        // that will be dropped (unsolicited, refused) cannot wipe out the routes of datagrams passing.
        // With both taken, the note of the new one's own device gives way, so that a client flooding
        // first fragments that pass replaces its own notes, not the routes of another client's datagrams;
        // else (both or neither its own) the older.
        var first = Volatile.Read(ref one);
        var second = Volatile.Read(ref other);
        var oneTaken = IsLiveOther(first, tag, now);
        var otherTaken = IsLiveOther(second, tag, now);
        var oneIndex = OneIndex(hash);
        var otherIndex = OtherIndex(hash);
        var oneOwn = _shares[oneIndex] == share;
        var otherOwn = _shares[otherIndex] == share;
        var oneGivesWay = oneTaken && otherTaken
            && (oneOwn != otherOwn ? oneOwn : LiveAge(first, now) >= LiveAge(second, now));
        if (!oneTaken || oneGivesWay)
        {
            Volatile.Write(ref one, note);
            _shares[oneIndex] = share;
        }
        if (!otherTaken || (oneTaken && !oneGivesWay))
        {
            Volatile.Write(ref other, note);
            _shares[otherIndex] = share;
        }
        return true;
    }

    private ref ulong OneSlot(ulong hash) => ref _notes[OneIndex(hash)];

    private ref ulong OtherSlot(ulong hash) => ref _notes[OtherIndex(hash)];

    private static int OneIndex(ulong hash) => (int)(hash >> 14) & (Slots - 1);

    private static int OtherIndex(ulong hash) => (int)hash & (Slots - 1);

    private static bool IsLiveOther(ulong seen, ulong tag, ulong now) => seen != 0 && (seen & TagMask) != tag && IsLive(seen, now);

    private static bool IsLive(ulong note, ulong now) => Age(note, now) <= LiveSeconds || Age(note, now) >= TimeMask + 1 - ClockSkewSeconds;

    /// <summary>The age of a live note, a note from a clock read a little later counting as new.</summary>
    private static ulong LiveAge(ulong note, ulong now) => Age(note, now) <= LiveSeconds ? Age(note, now) : 0;

    /// <summary>Seconds since the note was written; a note from a clock read a little later comes out near the top of the range.</summary>
    private static ulong Age(ulong note, ulong now) => (now - (note >> TimeShift)) & TimeMask;

    /// <summary>
    /// Called by worker <paramref name="owner"/> when the datagram of <paramref name="info"/>'s key
    /// ended (its last fragment passed) or its first fragment was dropped: the next first fragment of
    /// the key goes by its own flow again.
    /// </summary>
    public void Forget(in PacketInfo info, int owner)
    {
        var hash = FragmentKey.From(info).Hash(_seed);
        Forget(ref OneSlot(hash), hash & TagMask, owner);
        Forget(ref OtherSlot(hash), hash & TagMask, owner);
    }

    private static void Forget(ref ulong slot, ulong tag, int owner)
    {
        var seen = Volatile.Read(ref slot);
        if ((seen & TagMask) == tag && (int)(seen & OwnerMask) - 1 == owner)
        {
            // Unless another datagram's note took the slot meanwhile.
            Interlocked.CompareExchange(ref slot, 0, seen);
        }
    }
}
