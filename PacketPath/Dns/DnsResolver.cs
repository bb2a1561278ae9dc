using System.Net;
using System.Net.Sockets;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Dns;

/// <summary>
/// A stub resolver: asks the configured recursive resolvers (usually port 53) over UDP for a name's
/// A and AAAA records, both at once.
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
/// unresolved.</item>
/// <item>The name's outcome: <see cref="DnsOutcome.Failed"/> when both families failed;
/// <see cref="DnsOutcome.NameError"/> when both said NXDOMAIN; otherwise <see cref="DnsOutcome.Resolved"/>
/// with the addresses of the families that answered and the smaller of their TTLs. A family that
/// failed is named in <see cref="DnsAnswer.FailedFamilies"/> and stays unresolved: a name whose AAAA
/// query times out is not taken as "no IPv6 addresses", and its A answer still counts for IPv4, as
/// the Qubes agent resolves each family on its own. Nor does the A answer wait for the AAAA query
/// (or the other way round): the first family to answer is handed to the caller at once.</item>
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

    public async Task<DnsAnswer> Resolve(string name, CancellationToken ct, Action<DnsAnswer>? firstFamily = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!DnsMessage.IsValidName(name))
        {
            return DnsAnswer.Failure("not a valid DNS name");
        }
        if (_servers.Length == 0)
        {
            return DnsAnswer.Failure("no resolvers configured");
        }

        var v4 = AskFamily(name, DnsQueryType.A, ct);
        var v6 = AskFamily(name, DnsQueryType.Aaaa, ct);
        if (firstFamily is not null)
        {
            var first = await Task.WhenAny(v4, v6).ConfigureAwait(false);
            var answered = await first.ConfigureAwait(false);
            if (answered.Outcome != DnsOutcome.Failed && !(first == v4 ? v6 : v4).IsCompleted)
            {
                firstFamily(OneFamily(answered, v6: first == v6));
            }
        }
        await Task.WhenAll(v4, v6).ConfigureAwait(false);
        return Combine(await v4.ConfigureAwait(false), await v6.ConfigureAwait(false));
    }

    /// <summary>One family's answer, the other left as it is (named failed: not known yet).</summary>
    private static DnsAnswer OneFamily(FamilyAnswer answered, bool v6) =>
        new(answered.Addresses, TimeSpan.FromSeconds(answered.TtlSeconds), DnsOutcome.Resolved, $"{(v6 ? "A" : "AAAA")}: still asking")
        {
            FailedFamilies = v6 ? DnsFamilies.V4 : DnsFamilies.V6,
        };

    private static DnsAnswer Combine(FamilyAnswer v4, FamilyAnswer v6)
    {
        var v4Failed = v4.Outcome == DnsOutcome.Failed;
        var v6Failed = v6.Outcome == DnsOutcome.Failed;
        if (v4Failed && v6Failed)
        {
            return DnsAnswer.Failure($"A: {v4.Detail}; AAAA: {v6.Detail}");
        }
        if (v4Failed || v6Failed)
        {
            var (answered, failed) = v4Failed ? (v6, v4) : (v4, v6);
            return new DnsAnswer(answered.Addresses, TimeSpan.FromSeconds(answered.TtlSeconds), DnsOutcome.Resolved,
                $"{(v4Failed ? "A" : "AAAA")}: {failed.Detail}")
            {
                FailedFamilies = v4Failed ? DnsFamilies.V4 : DnsFamilies.V6,
            };
        }

        var ttl = TimeSpan.FromSeconds(Math.Min(v4.TtlSeconds, v6.TtlSeconds));
        if (v4.Outcome == DnsOutcome.NameError && v6.Outcome == DnsOutcome.NameError)
        {
            return new DnsAnswer([], ttl, DnsOutcome.NameError);
        }
        NetAddress[] addresses = [.. v4.Addresses, .. v6.Addresses];
        return new DnsAnswer(addresses, ttl, DnsOutcome.Resolved);
    }

    private async Task<FamilyAnswer> AskFamily(string name, DnsQueryType type, CancellationToken ct)
    {
        var slots = type == DnsQueryType.Aaaa ? _v6Slots : _v4Slots;
        await slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var last = default(FamilyAnswer);
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
            return last with { Detail = $"{last.Detail} (after {Attempts} tries, the last to {server})" };
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task<FamilyAnswer> Exchange(IPEndPoint server, string name, DnsQueryType type, CancellationToken ct)
    {
        var query = new byte[DnsMessage.MaxQueryLength];
        if (!DnsMessage.TryWriteQuery(query, name, type, out var id, out var queryLength))
        {
            return FamilyAnswer.Failure("not a valid DNS name");
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
                            DnsResponseCode.NoError => new FamilyAnswer(DnsOutcome.Resolved, response.Addresses, response.TtlSeconds, null),
                            DnsResponseCode.NameError => new FamilyAnswer(DnsOutcome.NameError, [], response.TtlSeconds, null),
                            var code => FamilyAnswer.Failure(code is >= DnsResponseCode.NoError and <= DnsResponseCode.Refused ? code.ToString() : $"RCODE {(int)code}"),
                        };
                    case DnsParseError.Truncated:
                        return FamilyAnswer.Failure("truncated response (no TCP fallback)");
                    case DnsParseError.Referral:
                        return FamilyAnswer.Failure("a referral: this resolver does not look names up for its clients (--dns must name a recursive resolver)");
                    case DnsParseError.Malformed when received >= DnsMessage.HeaderLength:
                        return FamilyAnswer.Failure("malformed response");
                    default:
                        continue; // not the answer to this query (stale, spoofed, or too short to tell): keep waiting
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return FamilyAnswer.Failure($"no answer within {TryTimeout.TotalMilliseconds:0} ms");
        }
        catch (SocketException e)
        {
            return FamilyAnswer.Failure(e.SocketErrorCode.ToString());
        }
    }

    private readonly record struct FamilyAnswer(DnsOutcome Outcome, NetAddress[] Addresses, uint TtlSeconds, string? Detail)
    {
        public static FamilyAnswer Failure(string detail) => new(DnsOutcome.Failed, [], 0, detail);
    }
}
