using System.Collections;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Classification;

/// <summary>
/// A fixed, ordered set of dsthost names with an integer id for each (its position). A
/// <see cref="CompiledPolicy"/> numbers the names its rules use in one of these
/// (<see cref="CompiledPolicy.HostNames"/>), and a <see cref="HostTable"/> built over the same
/// instance answers by id, without hashing a string on the packet path.
/// </summary>
public sealed class HostNameTable : IReadOnlyList<string>
{
    public static readonly HostNameTable Empty = new([]);

    private readonly string[] _names;
    private readonly Dictionary<string, int> _ids;

    /// <summary>Duplicates are kept once, at their first position.</summary>
    public HostNameTable(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var ordered = new List<string>();
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            ArgumentNullException.ThrowIfNull(name);
            if (_ids.TryAdd(name, ordered.Count))
            {
                ordered.Add(name);
            }
        }
        _names = ordered.ToArray();
    }

    public int Count => _names.Length;

    public string this[int index] => _names[index];

    /// <summary>The id of <paramref name="name"/>, or -1 when the table does not hold it.</summary>
    public int IdOf(string name) => _ids.TryGetValue(name, out var id) ? id : -1;

    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)_names).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// The firewall's in-memory answers for dsthost names: name → addresses, kept per address family.
/// A family with no answer is unresolved; a family whose answer is empty resolved to nothing
/// (section 4 of the rule-format reference treats the two differently). The families are apart
/// because the Qubes agent resolves each on its own: a resolver that fails AAAA queries leaves the
/// name unresolved for IPv6 only, and its IPv4 answer still counts.
/// <para>
/// Concurrency: one slot per name and family, each holding an immutable array. A writer (the
/// resolver thread) copies the new answer into a fresh array and publishes it with
/// <see cref="Volatile.Write{T}(ref T, T)"/>; readers (packet workers) load the slot with
/// <see cref="Volatile.Read{T}(ref T)"/> and never take a lock. A reader therefore sees either the
/// old answer or the new one for a name, never a half-written set. Different names are independent:
/// one classification may see one name's old answer and another name's new one.
/// </para>
/// <para>
/// Besides the answers, the table keeps who holds each address (<see cref="HoldersOf"/>) and how many
/// names a family has no answer for, both written under a lock that only writers take: the
/// classifier finds the dsthost rules a destination matches from the destination, rather than by
/// asking every dsthost rule's answer, which made a new flow of a client with 10,000 dsthost rules
/// cost tens of microseconds.
/// </para>
/// </summary>
public sealed class HostTable
{
    private readonly NetAddress[]?[] _v4;
    private readonly NetAddress[]?[] _v6;

    /// <summary>Per address, the ids of the names whose answer of the address's family holds it; never mutated after publication.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<NetAddress, int[]> _holders = new();

    /// <summary>Per family (IPv4, IPv6), how many names have no answer for it.</summary>
    private readonly int[] _unresolved = new int[2];

    private readonly Lock _writing = new();

    public HostTable(HostNameTable names)
    {
        ArgumentNullException.ThrowIfNull(names);
        Names = names;
        _v4 = new NetAddress[]?[names.Count];
        _v6 = new NetAddress[]?[names.Count];
        _unresolved[0] = _unresolved[1] = names.Count;
    }

    public HostTable(IEnumerable<string> names)
        : this(names as HostNameTable ?? new HostNameTable(names))
    {
    }

    /// <summary>The names this table can hold, and their ids.</summary>
    public HostNameTable Names { get; }

    /// <summary>
    /// Publishes the answer for <paramref name="name"/> for both families (copied; no address of a
    /// family means "resolved to nothing" for it). Returns false, and stores nothing, when the name is
    /// not in <see cref="Names"/>.
    /// </summary>
    public bool Set(string name, NetAddress[] addresses) => Set(name, addresses, v4: true, v6: true);

    /// <summary>
    /// Publishes the answer for the families asked for only (<paramref name="v4"/>, <paramref name="v6"/>);
    /// the other keeps what it holds. Addresses of a family not asked for are ignored.
    /// </summary>
    public bool Set(string name, NetAddress[] addresses, bool v4, bool v6)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var id = Names.IdOf(name);
        if (id < 0)
        {
            return false;
        }
        if (v4)
        {
            Publish(id, v6: false, OfFamily(addresses, v6: false));
        }
        if (v6)
        {
            Publish(id, v6: true, OfFamily(addresses, v6: true));
        }
        return true;
    }

    /// <summary>Forgets the answer for <paramref name="name"/>: it is unresolved again, for both families.</summary>
    public bool Remove(string name)
    {
        var id = Names.IdOf(name);
        if (id < 0)
        {
            return false;
        }
        Publish(id, v6: false, null);
        Publish(id, v6: true, null);
        return true;
    }

    /// <summary>Copies every answer <paramref name="other"/> holds for a name this table also knows (after a policy swap).</summary>
    public void CopyFrom(HostTable other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var id = 0; id < Names.Count; id++)
        {
            var otherId = other.Names.IdOf(Names[id]);
            if (otherId >= 0)
            {
                Publish(id, v6: false, other.Slot(otherId, v6: false));
                Publish(id, v6: true, other.Slot(otherId, v6: true));
            }
        }
    }

    /// <summary>Whether the name with this id has an answer for both families.</summary>
    public bool IsResolved(int id) => Slot(id, v6: false) is not null && Slot(id, v6: true) is not null;

    /// <summary>Whether the name with this id has an answer for either family (it was asked, and one family answered).</summary>
    public bool HasAnswer(int id) => Slot(id, v6: false) is not null || Slot(id, v6: true) is not null;

    /// <summary>Whether the name with this id has an answer for the family given.</summary>
    public bool IsResolved(int id, bool v6) => Slot(id, v6) is not null;

    /// <summary>The answer of one family for the name with this id; empty when unresolved or resolved to nothing.</summary>
    public ReadOnlySpan<NetAddress> Answers(int id, bool v6) => Slot(id, v6);

    /// <summary>
    /// The addresses of <paramref name="name"/>, IPv4 first, of the families that have an answer;
    /// false when neither has one.
    /// </summary>
    public bool TryGet(string name, out ReadOnlySpan<NetAddress> addresses)
    {
        var id = Names.IdOf(name);
        var answer = id < 0 ? null : Joined(id);
        addresses = answer;
        return answer is not null;
    }

    /// <summary>A consistent-per-family copy of the names with an answer for either family, as <see cref="TryGet"/> gives them.</summary>
    public IReadOnlyDictionary<string, NetAddress[]> Snapshot()
    {
        var result = new Dictionary<string, NetAddress[]>(StringComparer.Ordinal);
        for (var id = 0; id < Names.Count; id++)
        {
            if (Joined(id) is { } answer)
            {
                result[Names[id]] = answer;
            }
        }
        return result;
    }

    /// <summary>The published array of one family (never mutated after publication), or null when that family is unresolved.</summary>
    internal NetAddress[]? Slot(int id, bool v6) => v6 ? Volatile.Read(ref _v6[id]) : Volatile.Read(ref _v4[id]);

    /// <summary>The ids of the names whose answer holds <paramref name="address"/> (of its family), each once; no allocation.</summary>
    internal ReadOnlySpan<int> HoldersOf(NetAddress address) => _holders.TryGetValue(address, out var ids) ? ids : default;

    /// <summary>Whether some name has no answer for the family: only then can an unresolved dsthost drop rule block a client.</summary>
    internal bool AnyUnresolved(bool v6) => Volatile.Read(ref _unresolved[v6 ? 1 : 0]) > 0;

    /// <summary>Publishes one family's answer for a name (null: unresolved) and keeps the holders and the count of unresolved names with it.</summary>
    /// <remarks>
    /// A worker reads the slot for the unresolved check and the holders for the match, so the holders must cover
    /// the published answer at every moment: the name holds its new addresses before the answer is published and
    /// leaves its old ones only after. The other way round, a worker between the writes saw a name answered (not
    /// blocking the client) yet holding nothing (not matching its drop rule), and let through a flow that both the
    /// old and the new answer drop.
    /// </remarks>
    private void Publish(int id, bool v6, NetAddress[]? answer)
    {
        lock (_writing)
        {
            var old = Slot(id, v6);
            foreach (var address in answer ?? [])
            {
                var ids = _holders.GetValueOrDefault(address, []);
                if (Array.IndexOf(ids, id) < 0)
                {
                    _holders[address] = [.. ids, id];
                }
            }
            if (v6)
            {
                Volatile.Write(ref _v6[id], answer);
            }
            else
            {
                Volatile.Write(ref _v4[id], answer);
            }
            if ((old is null) != (answer is null))
            {
                Volatile.Write(ref _unresolved[v6 ? 1 : 0], _unresolved[v6 ? 1 : 0] + (answer is null ? 1 : -1));
            }
            foreach (var address in old ?? [])
            {
                if (Array.IndexOf(answer ?? [], address) < 0 && _holders.TryGetValue(address, out var ids) && Array.IndexOf(ids, id) >= 0)
                {
                    var rest = Array.FindAll(ids, held => held != id);
                    if (rest.Length == 0)
                    {
                        _holders.TryRemove(address, out _);
                    }
                    else
                    {
                        _holders[address] = rest;
                    }
                }
            }
        }
    }

    private NetAddress[]? Joined(int id)
    {
        var (v4, v6) = (Slot(id, v6: false), Slot(id, v6: true));
        return v4 is null && v6 is null ? null : [.. v4 ?? [], .. v6 ?? []];
    }

    private static NetAddress[] OfFamily(NetAddress[] addresses, bool v6) => Array.FindAll(addresses, a => a.IsV6 == v6);
}
