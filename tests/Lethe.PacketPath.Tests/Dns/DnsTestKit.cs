using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lethe.PacketPath.Dns;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Dns;

/// <summary>One resource record for <see cref="DnsWire.Response"/>.</summary>
internal sealed record Rr(string Owner, ushort Type, uint Ttl, byte[] Data)
{
    public static Rr A(string owner, string address, uint ttl = 300) => new(owner, 1, ttl, NetAddress.Parse(address).ToIPAddress().GetAddressBytes());

    public static Rr Aaaa(string owner, string address, uint ttl = 300) => new(owner, 28, ttl, NetAddress.Parse(address).ToIPAddress().GetAddressBytes());

    public static Rr Cname(string owner, string target, uint ttl = 300) => new(owner, 5, ttl, DnsWire.Name(target));

    /// <summary>An SOA with uncompressed names; MINIMUM last.</summary>
    public static Rr Soa(string zone, uint ttl, uint minimum)
    {
        var data = new List<byte>();
        data.AddRange(DnsWire.Name("ns." + zone));
        data.AddRange(DnsWire.Name("hostmaster." + zone));
        foreach (var value in new uint[] { 2026010101, 7200, 900, 1209600, minimum })
        {
            data.AddRange(DnsWire.U32(value));
        }
        return new(zone, 6, ttl, data.ToArray());
    }
}

/// <summary>Builds DNS datagrams for the tests, independently of <see cref="DnsMessage"/>.</summary>
internal static class DnsWire
{
    public static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    public static byte[] U32(uint value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    public static byte[] Name(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.Add(0);
        return bytes.ToArray();
    }

    /// <summary>
    /// A response echoing the question; record owners equal to the question name are written as a
    /// pointer to it (offset 12) when <paramref name="compress"/>.
    /// </summary>
    public static byte[] Response(ushort id, string name, ushort type, int rcode = 0, IEnumerable<Rr>? answers = null,
        IEnumerable<Rr>? authority = null, bool truncated = false, bool compress = true, bool recursionAvailable = true)
    {
        var answerList = answers?.ToList() ?? [];
        var authorityList = authority?.ToList() ?? [];
        var bytes = new List<byte>();
        bytes.AddRange(U16(id));
        bytes.AddRange(U16(0x8100 | (recursionAvailable ? 0x0080 : 0) | (truncated ? 0x0200 : 0) | rcode));
        bytes.AddRange(U16(1));
        bytes.AddRange(U16(answerList.Count));
        bytes.AddRange(U16(authorityList.Count));
        bytes.AddRange(U16(0));
        bytes.AddRange(Name(name));
        bytes.AddRange(U16(type));
        bytes.AddRange(U16(1));
        foreach (var rr in answerList.Concat(authorityList))
        {
            bytes.AddRange(compress && string.Equals(rr.Owner, name, StringComparison.OrdinalIgnoreCase) ? [0xC0, 0x0C] : Name(rr.Owner));
            bytes.AddRange(U16(rr.Type));
            bytes.AddRange(U16(1));
            bytes.AddRange(U32(rr.Ttl));
            bytes.AddRange(U16(rr.Data.Length));
            bytes.AddRange(rr.Data);
        }
        return bytes.ToArray();
    }

    /// <summary>A response with no question and the given RCODE (as some servers send SERVFAIL).</summary>
    public static byte[] Bare(ushort id, int rcode) => [.. U16(id), .. U16(0x8180 | rcode), 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>Reads a query written by <see cref="DnsMessage.TryWriteQuery(Span{byte}, string, DnsQueryType, ushort, out int)"/>.</summary>
    public static (ushort Id, ushort Flags, int Questions, string Name, ushort Type, ushort Class) ReadQuery(ReadOnlySpan<byte> query)
    {
        var labels = new List<string>();
        var at = 12;
        while (query[at] != 0)
        {
            labels.Add(Encoding.ASCII.GetString(query.Slice(at + 1, query[at])));
            at += 1 + query[at];
        }
        at++;
        return (BinaryPrimitives.ReadUInt16BigEndian(query), BinaryPrimitives.ReadUInt16BigEndian(query[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(query[4..]), string.Join('.', labels),
            BinaryPrimitives.ReadUInt16BigEndian(query[at..]), BinaryPrimitives.ReadUInt16BigEndian(query[(at + 2)..]));
    }
}

/// <summary>A query as <see cref="TinyDnsServer"/> saw it.</summary>
internal readonly record struct SeenQuery(ushort Id, string Name, ushort Type);

/// <summary>
/// A tiny DNS server on 127.0.0.1 (a free UDP port): each query is answered by the handler for its
/// (lowercased name, type) with zero or more datagrams (zero: dropped, for timeouts); NXDOMAIN for
/// anything else. All traffic stays on the loopback.
/// </summary>
internal sealed class TinyDnsServer : IAsyncDisposable
{
    private readonly UdpClient _udp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ConcurrentQueue<SeenQuery> _seen = new();

    /// <param name="at">Where to listen; a free loopback port when not given.</param>
    public TinyDnsServer(IPEndPoint? at = null)
    {
        _udp = new UdpClient(at ?? new IPEndPoint(IPAddress.Loopback, 0));
        _loop = Task.Run(Serve);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_udp.Client.LocalEndPoint!;

    public ConcurrentDictionary<(string Name, ushort Type), Func<SeenQuery, byte[][]>> Zone { get; } = new();

    public IReadOnlyCollection<SeenQuery> Seen => _seen;

    public void Answer(string name, params Rr[] records)
    {
        foreach (var type in new ushort[] { 1, 28 })
        {
            Zone[(name, type)] = q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: records.Where(r => r.Type == q.Type || r.Type == 5))];
        }
    }

    public void For(string name, Func<SeenQuery, byte[][]> handler)
    {
        Zone[(name, 1)] = handler;
        Zone[(name, 28)] = handler;
    }

    private async Task Serve()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // ICMP unreachable from a client that already gave up
            }
            var query = DnsWire.ReadQuery(received.Buffer);
            var seen = new SeenQuery(query.Id, query.Name, query.Type);
            _seen.Enqueue(seen);
            var replies = Zone.TryGetValue((query.Name.ToLowerInvariant(), query.Type), out var handler)
                ? handler(seen)
                : [DnsWire.Response(query.Id, query.Name, query.Type, rcode: 3)];
            foreach (var reply in replies)
            {
                try
                {
                    await _udp.SendAsync(reply, received.RemoteEndPoint, _stop.Token);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
        }
        _stop.Dispose();
    }
}

/// <summary>
/// A manual clock: time moves only through <see cref="Advance"/>, which fires the timers that fall due, and
/// <see cref="Suspend"/>, which moves it as a suspended machine's boot clock moves: the timers stand still.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The timers' clock: <see cref="_now"/> less the time spent suspended.</summary>
    private DateTimeOffset _awake = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    /// <summary>Timers created and not yet fired, changed to never or disposed.</summary>
    public int PendingTimers
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count(t => t.DueAt is not null);
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        lock (_gate)
        {
            _timers.Add(timer);
        }
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> fire;
        lock (_gate)
        {
            _now += by;
            _awake += by;
            fire = _timers.Where(t => t.DueAt <= _awake).ToList();
            foreach (var timer in fire)
            {
                timer.DueAt = timer.Period is { } period ? _awake + period : null;
            }
        }
        foreach (var timer in fire)
        {
            timer.Fire();
        }
    }

    /// <summary>
    /// A suspend and resume: the time and timestamps move on by <paramref name="by"/> (CLOCK_BOOTTIME and the
    /// wall clock count a suspend), the timers do not (they run on CLOCK_MONOTONIC, which stops), and none fires.
    /// </summary>
    public void Suspend(TimeSpan by)
    {
        lock (_gate)
        {
            _now += by;
        }
    }

    /// <summary>Waits (in real time, up to 10 s) until something sleeps on this clock.</summary>
    public async Task WaitForSleeper()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (PendingTimers == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "nothing started waiting on the manual clock");
            await Task.Delay(5);
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? DueAt { get; set; }

        public TimeSpan? Period { get; private set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : owner._awake + dueTime;
                Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
            }
            return true;
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                DueAt = null;
                owner._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>
/// A resolver answering from a dictionary that the test changes, each family with its addresses of that
/// family and the answer's TTL and outcome; an absent name fails, and so does a family named in <see cref="FailsFamily"/>.
/// </summary>
internal sealed class FakeResolver : IDnsResolver
{
    private readonly ConcurrentDictionary<(string Name, bool V6), bool> _failing = new();

    public ConcurrentDictionary<string, DnsAnswer> Answers { get; } = new();

    /// <summary>How many times each (name, family) was asked.</summary>
    public ConcurrentDictionary<(string Name, bool V6), int> Calls { get; } = new();

    public Task<DnsAnswer> Resolve(string name, bool v6, CancellationToken ct)
    {
        Calls.AddOrUpdate((name, v6), 1, (_, n) => n + 1);
        if (!Answers.TryGetValue(name, out var answer) || _failing.ContainsKey((name, v6)))
        {
            return Task.FromResult(DnsAnswer.Failure("fake: no answer"));
        }
        return Task.FromResult(answer with { Addresses = Array.FindAll(answer.Addresses, a => a.IsV6 == v6) });
    }

    public void Resolves(string name, TimeSpan ttl, params string[] addresses)
    {
        Answers[name] = new DnsAnswer(addresses.Select(NetAddress.Parse).ToArray(), ttl, DnsOutcome.Resolved);
        _failing.TryRemove((name, false), out _);
        _failing.TryRemove((name, true), out _);
    }

    public void Fails(string name) => Answers.TryRemove(name, out _);

    /// <summary>Makes one family of <paramref name="name"/> fail while the other is answered from <see cref="Answers"/>.</summary>
    public void FailsFamily(string name, bool v6) => _failing[(name, v6)] = true;
}
