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
/// The firewall's in-memory answers for dsthost names: name → addresses. A name with no answer is
/// unresolved; a name whose answer is empty resolved to nothing (section 4 of the rule-format
/// reference treats the two differently).
/// <para>
/// Concurrency: one slot per name of <see cref="Names"/>, each holding an immutable array. A writer
/// (the resolver thread) copies the new answer into a fresh array and publishes it with
/// <see cref="Volatile.Write{T}(ref T, T)"/>; readers (packet workers) load the slot with
/// <see cref="Volatile.Read{T}(ref T)"/> and never take a lock. A reader therefore sees either the
/// old answer or the new one for a name, never a half-written set. Different names are independent:
/// one classification may see one name's old answer and another name's new one.
/// </para>
/// </summary>
public sealed class HostTable
{
    private readonly NetAddress[]?[] _answers;

    public HostTable(HostNameTable names)
    {
        ArgumentNullException.ThrowIfNull(names);
        Names = names;
        _answers = new NetAddress[]?[names.Count];
    }

    public HostTable(IEnumerable<string> names)
        : this(names as HostNameTable ?? new HostNameTable(names))
    {
    }

    /// <summary>The names this table can hold, and their ids.</summary>
    public HostNameTable Names { get; }

    /// <summary>
    /// Publishes the answer for <paramref name="name"/> (copied; an empty array means "resolved to
    /// nothing"). Returns false, and stores nothing, when the name is not in <see cref="Names"/>.
    /// </summary>
    public bool Set(string name, NetAddress[] addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var id = Names.IdOf(name);
        if (id < 0)
        {
            return false;
        }
        NetAddress[] copy = addresses.Length == 0 ? [] : (NetAddress[])addresses.Clone();
        Volatile.Write(ref _answers[id], copy);
        return true;
    }

    /// <summary>Forgets the answer for <paramref name="name"/>: it is unresolved again.</summary>
    public bool Remove(string name)
    {
        var id = Names.IdOf(name);
        if (id < 0)
        {
            return false;
        }
        Volatile.Write(ref _answers[id], null);
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
                Volatile.Write(ref _answers[id], other.Slot(otherId));
            }
        }
    }

    public bool IsResolved(int id) => Slot(id) is not null;

    /// <summary>The answer for the name with this id; empty when unresolved or resolved to nothing.</summary>
    public ReadOnlySpan<NetAddress> Answers(int id) => Slot(id);

    public bool TryGet(string name, out ReadOnlySpan<NetAddress> addresses)
    {
        var id = Names.IdOf(name);
        var answer = id < 0 ? null : Slot(id);
        addresses = answer;
        return answer is not null;
    }

    /// <summary>A consistent-per-name copy of the resolved names and their answers.</summary>
    public IReadOnlyDictionary<string, NetAddress[]> Snapshot()
    {
        var result = new Dictionary<string, NetAddress[]>(StringComparer.Ordinal);
        for (var id = 0; id < Names.Count; id++)
        {
            if (Slot(id) is { } answer)
            {
                result[Names[id]] = (NetAddress[])answer.Clone();
            }
        }
        return result;
    }

    /// <summary>The published array itself (never mutated after publication), or null when unresolved.</summary>
    internal NetAddress[]? Slot(int id) => Volatile.Read(ref _answers[id]);
}
