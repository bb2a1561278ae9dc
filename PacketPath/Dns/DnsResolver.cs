using System.Net;
using System.Net.Sockets;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Dns;

/// <summary>
/// A stub resolver: asks the configured recursive resolvers (usually port 53) over UDP for a name's
/// A or AAAA records, one family per <see cref="Resolve"/>.
/// <list type="bullet">
/// <item>Each try uses a new socket (a fresh random source port from the kernel), connected to the
/// resolver so the kernel drops datagrams from anyone else, and a fresh random id. Datagrams whose
/// id, QR bit or question do not match are ignored and the try keeps waiting, up to
/// <see cref="TryTimeout"/>.</item>
/// <item>A family is asked up to <see cref="Attempts"/> times, going round the resolvers in order
/// (the first try goes to the first resolver). A timeout, an ICMP port unreachable, SERVFAIL,
/// REFUSED or any other error code, a malformed or a truncated response moves on to the next try;
/// NOERROR and NXDOMAIN end it.</item>
/// <item>Truncated (TC) responses count as failures: there is no TCP fallback, and queries carry
/// no EDNS, so an answer set that does not fit 512 bytes (dozens of addresses) leaves the name
/// unresolved for that family.</item>
/// <item>The families are asked apart, as the Qubes agent resolves each on its own: a name whose AAAA
/// query times out is not taken as "no IPv6 addresses", and its A answer, asked for on its own,
/// neither waits for the AAAA query nor fails with it.</item>
/// <item>At most <see cref="Concurrency"/> names are asked at once for each family, each family
/// with slots of its own, taken in the order asked and held through all of a family's tries: where
/// every AAAA query goes unanswered (resolvers that answer A only), the AAAA queries waiting out
/// their tries hold AAAA slots alone, and the A queries of the names behind them are still asked,
/// and answered, at once.</item>
/// </list>
/// Nothing is cached and nothing is written anywhere; <see cref="HostRefresher"/> keeps the answers.
/// </summary>
public sealed class DnsResolver : IDnsResolver
{
    public static readonly TimeSpan DefaultTryTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Names asked at once for each family, by default (so at most twice as many queries in flight).</summary>
    public const int DefaultConcurrency = 16;

    /// <summary>Without EDNS a response is at most 512 bytes; the room beyond is for servers that ignore that.</summary>
    private const int ReceiveBufferLength = 4096;

    private readonly IPEndPoint[] _servers;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _v4Slots;
    private readonly SemaphoreSlim _v6Slots;

    /// <param name="servers">The resolvers, in order of preference; may be empty (every name then fails).</param>
    /// <param name="tryTimeout">How long one try waits for its answer; <see cref="DefaultTryTimeout"/> by default.</param>
    /// <param name="attempts">Tries per family; by default two per resolver (at least 2).</param>
    /// <param name="timeProvider">The clock of the try timeouts; the system clock by default.</param>
    /// <param name="concurrency">Names asked at once for each family; <see cref="DefaultConcurrency"/> by default.</param>
    public DnsResolver(IReadOnlyList<IPEndPoint> servers, TimeSpan? tryTimeout = null, int? attempts = null, TimeProvider? timeProvider = null,
        int concurrency = DefaultConcurrency)
    {
        ArgumentNullException.ThrowIfNull(servers);
        _servers = servers.ToArray();
        foreach (var server in _servers)
        {
            ArgumentNullException.ThrowIfNull(server, nameof(servers));
        }
        TryTimeout = tryTimeout ?? DefaultTryTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TryTimeout, TimeSpan.Zero, nameof(tryTimeout));
        Attempts = attempts ?? Math.Max(2, 2 * _servers.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(Attempts, 1, nameof(attempts));
        _time = timeProvider ?? TimeProvider.System;
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        Concurrency = concurrency;
        _v4Slots = new SemaphoreSlim(concurrency);
        _v6Slots = new SemaphoreSlim(concurrency);
    }

    public IReadOnlyList<IPEndPoint> Servers => _servers;

    public TimeSpan TryTimeout { get; }

    public int Attempts { get; }

    public int Concurrency { get; }

    public Task<DnsAnswer> Resolve(string name, bool v6, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!DnsMessage.IsValidName(name))
        {
            return Task.FromResult(DnsAnswer.Failure("not a valid DNS name"));
        }
        if (_servers.Length == 0)
        {
            return Task.FromResult(DnsAnswer.Failure("no resolvers configured"));
        }
        return AskFamily(name, v6 ? DnsQueryType.Aaaa : DnsQueryType.A, ct);
    }

    private async Task<DnsAnswer> AskFamily(string name, DnsQueryType type, CancellationToken ct)
    {
        var slots = type == DnsQueryType.Aaaa ? _v6Slots : _v4Slots;
        await slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            DnsAnswer? last = null;
            IPEndPoint? server = null;
            for (var attempt = 0; attempt < Attempts; attempt++)
            {
                server = _servers[attempt % _servers.Length];
                last = await Exchange(server, name, type, ct).ConfigureAwait(false);
                if (last.Outcome != DnsOutcome.Failed)
                {
                    return last;
                }
            }
            return last! with { Detail = $"{last.Detail} (after {Attempts} tries, the last to {server})" };
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task<DnsAnswer> Exchange(IPEndPoint server, string name, DnsQueryType type, CancellationToken ct)
    {
        var query = new byte[DnsMessage.MaxQueryLength];
        if (!DnsMessage.TryWriteQuery(query, name, type, out var id, out var queryLength))
        {
            return DnsAnswer.Failure("not a valid DNS name");
        }

        using var timeout = new CancellationTokenSource(TryTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var buffer = new byte[ReceiveBufferLength];
        try
        {
            socket.Connect(server);
            await socket.SendAsync(query.AsMemory(0, queryLength), SocketFlags.None, linked.Token).ConfigureAwait(false);
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, linked.Token).ConfigureAwait(false);
                var response = DnsMessage.Parse(buffer.AsSpan(0, received), id, name, type);
                switch (response.Error)
                {
                    case DnsParseError.None:
                        return response.ResponseCode switch
                        {
                            DnsResponseCode.NoError => new DnsAnswer(response.Addresses, TimeSpan.FromSeconds(response.TtlSeconds), DnsOutcome.Resolved),
                            DnsResponseCode.NameError => new DnsAnswer([], TimeSpan.FromSeconds(response.TtlSeconds), DnsOutcome.NameError),
                            var code => DnsAnswer.Failure(code is >= DnsResponseCode.NoError and <= DnsResponseCode.Refused ? code.ToString() : $"RCODE {(int)code}"),
                        };
                    case DnsParseError.Truncated:
                        return DnsAnswer.Failure("truncated response (no TCP fallback)");
                    case DnsParseError.Referral:
                        return DnsAnswer.Failure("a referral: this resolver does not look names up for its clients (--dns must name a recursive resolver)");
                    case DnsParseError.Malformed when received >= DnsMessage.HeaderLength:
                        return DnsAnswer.Failure("malformed response");
                    default:
                        continue; // not the answer to this query (stale, spoofed, or too short to tell): keep waiting
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return DnsAnswer.Failure($"no answer within {TryTimeout.TotalMilliseconds:0} ms");
        }
        catch (SocketException e)
        {
            return DnsAnswer.Failure(e.SocketErrorCode.ToString());
        }
    }
}
