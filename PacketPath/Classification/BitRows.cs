using System.Runtime.InteropServices;

namespace Lethe.PacketPath.Classification;

/// <summary>
/// Compile-time store for the classifier's bit vectors: every row has <see cref="Words"/> 64-bit
/// words (one bit per candidate rule) and lives in one flat array; identical rows are stored once.
/// </summary>
internal sealed class RowPool(int words)
{
    private readonly List<ulong> _data = [];
    private readonly Dictionary<ulong, int> _byHash = [];

    public int Words { get; } = words;

    /// <summary>The offset of a row equal to <paramref name="row"/>, adding it when new.</summary>
    public int Intern(ReadOnlySpan<ulong> row)
    {
        var hash = 14695981039346656037UL;
        foreach (var word in row)
        {
            hash = (hash ^ word) * 1099511628211UL;
            hash ^= hash >> 29;
        }
        if (_byHash.TryGetValue(hash, out var existing) &&
            CollectionsMarshal.AsSpan(_data).Slice(existing, Words).SequenceEqual(row))
        {
            return existing;
        }
        var offset = _data.Count;
        foreach (var word in row)
        {
            _data.Add(word);
        }
        _byHash.TryAdd(hash, offset); // on a hash collision the second row is simply not shared
        return offset;
    }

    public ulong[] ToArray() => _data.ToArray();
}

/// <summary>
/// Splits a one-dimensional key space [0, max] into elementary intervals from the bounds of every
/// rule's range, and gives each interval the bit vector of rules whose ranges cover it. Built with
/// one sweep over the sorted bounds (cost: intervals × words), adjacent intervals with equal
/// vectors merged. A rule may give several disjoint or overlapping ranges (a count per rule keeps
/// its bit set while any of them covers the key).
/// </summary>
internal sealed class IntervalBuilder(UInt128 max)
{
    private readonly List<(UInt128 Position, int Bit, int Delta)> _events = [];

    /// <summary>Adds the inclusive range [<paramref name="low"/>, <paramref name="high"/>] for rule bit <paramref name="bit"/>.</summary>
    public void Add(int bit, UInt128 low, UInt128 high)
    {
        if (low > high || low > max)
        {
            return;
        }
        _events.Add((low, bit, 1));
        if (high < max)
        {
            _events.Add((high + 1, bit, -1));
        }
    }

    public void AddAll(int bit) => Add(bit, 0, max);

    /// <summary>Sorted interval starts (the first is always 0) and the pool offset of each interval's row.</summary>
    public (UInt128[] Starts, int[] Rows) Build(RowPool pool, int bitCount)
    {
        _events.Sort(static (a, b) => a.Position.CompareTo(b.Position));
        var counts = new int[bitCount];
        var current = new ulong[pool.Words];
        var starts = new List<UInt128>();
        var rows = new List<int>();
        UInt128 position = 0;
        var i = 0;
        while (true)
        {
            for (; i < _events.Count && _events[i].Position == position; i++)
            {
                var (_, bit, delta) = _events[i];
                counts[bit] += delta;
                if (counts[bit] > 0)
                {
                    current[bit >> 6] |= 1UL << bit;
                }
                else
                {
                    current[bit >> 6] &= ~(1UL << bit);
                }
            }
            var row = pool.Intern(current);
            if (rows.Count == 0 || rows[^1] != row)
            {
                starts.Add(position);
                rows.Add(row);
            }
            if (i == _events.Count)
            {
                break;
            }
            position = _events[i].Position;
        }
        return (starts.ToArray(), rows.ToArray());
    }
}
