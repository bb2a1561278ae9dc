using System.Buffers.Binary;
using System.Security.Cryptography;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Dns;

/// <summary>The question types the stub resolver asks.</summary>
public enum DnsQueryType : ushort
{
    A = 1,
    Aaaa = 28,
}

/// <summary>The 4-bit RCODE of a response header (RFC 1035 4.1.1). Values above 5 keep their number.</summary>
public enum DnsResponseCode : byte
{
    NoError = 0,
    FormatError = 1,
    ServerFailure = 2,
    NameError = 3,
    NotImplemented = 4,
    Refused = 5,
}

/// <summary>Why <see cref="DnsMessage.Parse"/> did not accept a datagram as the answer to a query.</summary>
public enum DnsParseError
{
    None,

    /// <summary>Shorter than a header, a section or name running past the end, a bad label or pointer, a pointer loop, a wrong RDATA length, a CNAME chain that is too long.</summary>
    Malformed,

    /// <summary>The id is not the one of the query (a stale or spoofed datagram).</summary>
    IdMismatch,

    /// <summary>The QR bit is clear.</summary>
    NotAResponse,

    /// <summary>The question section does not echo the query's name, type and class.</summary>
    QuestionMismatch,

    /// <summary>The TC bit is set: the answer did not fit the datagram.</summary>
    Truncated,

    /// <summary>
    /// NOERROR without the asked-for records, without an SOA, but with NS records, from a server that
    /// does not offer recursion (RA clear): a referral (RFC 2308 2.2). It says nothing about the name's
    /// addresses. A recursive server's answer of that shape is its "no data" (RFC 2308 2.2.1, type 2).
    /// </summary>
    Referral,
}

/// <summary>
/// The outcome of parsing one response. <see cref="Addresses"/> holds the A (or AAAA) records of the
/// queried name, followed through the CNAME chain of the answer section. <see cref="TtlSeconds"/> is
/// the smallest TTL of the records used (CNAMEs included); for an answer with no address it is the
/// negative-caching TTL of the authority section's SOA (min of its TTL and MINIMUM, RFC 2308), or 0
/// when there is none. Meaningful only when <see cref="Error"/> is <see cref="DnsParseError.None"/>;
/// then <see cref="ResponseCode"/> tells NOERROR, NXDOMAIN, SERVFAIL... apart.
/// </summary>
public readonly record struct DnsResponse(DnsParseError Error, DnsResponseCode ResponseCode, NetAddress[] Addresses, uint TtlSeconds)
{
    public bool IsValid => Error == DnsParseError.None;
}

/// <summary>
/// Builds DNS queries and parses responses (RFC 1035), for the firewall's own stub resolver. The
/// parser is total: any byte sequence gives a <see cref="DnsResponse"/>, never an exception. It checks
/// every length against the datagram, follows name-compression pointers with a bounded number of
/// jumps (so pointer loops end as <see cref="DnsParseError.Malformed"/>), and accepts the response only
/// when the id, the QR bit and the question echo match the query. Names compare case-insensitively
/// (ASCII), as DNS requires.
/// </summary>
public static class DnsMessage
{
    public const int HeaderLength = 12;

    /// <summary>The longest query <see cref="TryWriteQuery(Span{byte}, string, DnsQueryType, ushort, out int)"/> writes: header, a 255-byte name, type and class.</summary>
    public const int MaxQueryLength = HeaderLength + MaxNameWireLength + 4;

    /// <summary>The longest encoded name (RFC 1035 3.1).</summary>
    public const int MaxNameWireLength = 255;

    /// <summary>The longest label (RFC 1035 3.1).</summary>
    public const int MaxLabelLength = 63;

    /// <summary>Compression pointers followed while reading one name before it is called a loop.</summary>
    public const int MaxPointerJumps = 64;

    /// <summary>CNAME records followed from the queried name before the chain is called malformed (a loop, or absurd).</summary>
    public const int MaxCnameChain = 16;

    private const ushort ClassIn = 1;
    private const ushort TypeCname = 5;
    private const ushort TypeNs = 2;
    private const ushort TypeSoa = 6;
    private const ushort FlagQr = 0x8000;
    private const ushort FlagTc = 0x0200;
    private const ushort FlagRa = 0x0080;
    private const ushort FlagRd = 0x0100;

    /// <summary>A fresh random query id (cryptographic randomness: the id and the source port are what an off-path spoofer has to guess).</summary>
    public static ushort NewId() => (ushort)RandomNumberGenerator.GetInt32(0x10000);

    /// <summary>
    /// True when <paramref name="name"/> can be asked: dot-separated labels of 1..63 printable ASCII
    /// characters (no '\' and no space), at most 255 bytes encoded, an optional final dot, not the root.
    /// </summary>
    public static bool IsValidName(string? name) => name is not null && TryMeasureName(name, out _);

    /// <summary>Writes a standard query with a random id (see <see cref="NewId"/>).</summary>
    public static bool TryWriteQuery(Span<byte> destination, string name, DnsQueryType type, out ushort id, out int written)
    {
        id = NewId();
        return TryWriteQuery(destination, name, type, id, out written);
    }

    /// <summary>
    /// Writes a standard query: the given id, RD set, one question (<paramref name="name"/>,
    /// <paramref name="type"/>, class IN), no other records. False, with nothing meaningful written,
    /// when the name is not valid (<see cref="IsValidName"/>), the type is not A or AAAA, or the
    /// destination is too small.
    /// </summary>
    public static bool TryWriteQuery(Span<byte> destination, string name, DnsQueryType type, ushort id, out int written)
    {
        written = 0;
        if (type is not (DnsQueryType.A or DnsQueryType.Aaaa) || name is null || !TryMeasureName(name, out var nameLength))
        {
            return false;
        }
        var total = HeaderLength + nameLength + 4;
        if (destination.Length < total)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], FlagRd);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], 1);
        destination.Slice(6, 6).Clear();

        var at = HeaderLength;
        foreach (var range in Labels(name))
        {
            var label = name.AsSpan(range);
            destination[at++] = (byte)label.Length;
            foreach (var c in label)
            {
                destination[at++] = (byte)c;
            }
        }
        destination[at++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(at + 2)..], ClassIn);
        written = at + 4;
        return true;
    }

    /// <summary>
    /// Parses <paramref name="message"/> as the response to the query (<paramref name="expectedId"/>,
    /// <paramref name="name"/>, <paramref name="type"/>). Never throws. The checks, in order: header
    /// length, id, QR, opcode QUERY, TC (→ <see cref="DnsParseError.Truncated"/>), the question echo
    /// (a server error such as SERVFAIL may come without a question), then, for NOERROR and NXDOMAIN,
    /// the answer and authority sections. The additional section is not read.
    /// </summary>
    public static DnsResponse Parse(ReadOnlySpan<byte> message, ushort expectedId, string name, DnsQueryType type)
    {
        if (message.Length < HeaderLength)
        {
            return Failure(DnsParseError.Malformed);
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(message) != expectedId)
        {
            return Failure(DnsParseError.IdMismatch);
        }
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        if ((flags & FlagQr) == 0)
        {
            return Failure(DnsParseError.NotAResponse);
        }
        var rcode = (DnsResponseCode)(flags & 0x000F);
        if (((flags >> 11) & 0x0F) != 0)
        {
            return Failure(DnsParseError.Malformed, rcode);
        }
        if ((flags & FlagTc) != 0)
        {
            return Failure(DnsParseError.Truncated, rcode);
        }

        int questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        int answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        int authorities = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        var usable = rcode is DnsResponseCode.NoError or DnsResponseCode.NameError;

        if (name is null || !TryMeasureName(name, out _))
        {
            return Failure(DnsParseError.QuestionMismatch, rcode);
        }
        var expectedName = Canonical(name);

        var position = HeaderLength;
        if (questions == 1)
        {
            if (!TryReadName(message, ref position, out var questionName) || position + 4 > message.Length)
            {
                return Failure(DnsParseError.Malformed, rcode);
            }
            var questionType = BinaryPrimitives.ReadUInt16BigEndian(message[position..]);
            var questionClass = BinaryPrimitives.ReadUInt16BigEndian(message[(position + 2)..]);
            position += 4;
            if (questionName != expectedName || questionType != (ushort)type || questionClass != ClassIn)
            {
                return Failure(DnsParseError.QuestionMismatch, rcode);
            }
        }
        else if (questions != 0 || usable)
        {
            return Failure(DnsParseError.QuestionMismatch, rcode);
        }

        if (!usable)
        {
            // SERVFAIL, REFUSED, FORMERR...: a well-formed answer that says "no answer".
            return new DnsResponse(DnsParseError.None, rcode, [], 0);
        }

        var records = new List<Record>(Math.Min(answers, 64));
        for (var i = 0; i < answers; i++)
        {
            if (!TryReadRecord(message, ref position, readCnameTarget: true, out var record))
            {
                return Failure(DnsParseError.Malformed, rcode);
            }
            if (record.Class != ClassIn)
            {
                continue;
            }
            if ((record.Type == (ushort)DnsQueryType.A && record.DataLength != 4) ||
                (record.Type == (ushort)DnsQueryType.Aaaa && record.DataLength != 16))
            {
                return Failure(DnsParseError.Malformed, rcode);
            }
            records.Add(record);
        }

        uint? negativeTtl = null;
        var nameServers = false;
        for (var i = 0; i < authorities; i++)
        {
            if (!TryReadRecord(message, ref position, readCnameTarget: false, out var record))
            {
                return Failure(DnsParseError.Malformed, rcode);
            }
            nameServers |= record.Type == TypeNs && record.Class == ClassIn;
            // SOA RDATA ends with five 32-bit numbers, MINIMUM last; two names come before them.
            if (record.Type == TypeSoa && record.Class == ClassIn && record.DataLength >= 22)
            {
                var minimum = Ttl(BinaryPrimitives.ReadUInt32BigEndian(message[(record.DataStart + record.DataLength - 4)..]));
                var soaTtl = Math.Min(record.Ttl, minimum);
                negativeTtl = negativeTtl is { } known ? Math.Min(known, soaTtl) : soaTtl;
            }
        }

        // Follow the CNAME chain from the queried name to the name that owns the addresses.
        var owner = expectedName;
        var chainTtl = uint.MaxValue;
        for (var hops = 0; ; hops++)
        {
            var alias = records.FindIndex(r => r.Type == TypeCname && r.Owner == owner);
            if (alias < 0)
            {
                break;
            }
            if (hops == MaxCnameChain)
            {
                return Failure(DnsParseError.Malformed, rcode);
            }
            owner = records[alias].Target!;
            chainTtl = Math.Min(chainTtl, records[alias].Ttl);
        }

        var found = new List<NetAddress>();
        var ttl = chainTtl;
        foreach (var record in records)
        {
            if (record.Type != (ushort)type || record.Owner != owner)
            {
                continue;
            }
            var data = message.Slice(record.DataStart, record.DataLength);
            var address = type == DnsQueryType.A ? NetAddress.FromV4Bytes(data) : NetAddress.FromV6Bytes(data);
            if (!found.Contains(address))
            {
                found.Add(address);
            }
            ttl = Math.Min(ttl, record.Ttl);
        }

        if (found.Count == 0 && rcode == DnsResponseCode.NoError && negativeTtl is null && nameServers && (flags & FlagRa) == 0)
        {
            // Read as "no addresses", it would make a dsthost drop rule match nothing, while the name has addresses.
            return Failure(DnsParseError.Referral, rcode);
        }
        if (found.Count == 0)
        {
            ttl = negativeTtl is { } soa ? Math.Min(soa, chainTtl) : 0;
        }
        return new DnsResponse(DnsParseError.None, rcode, found.ToArray(), ttl);
    }

    private static DnsResponse Failure(DnsParseError error, DnsResponseCode rcode = DnsResponseCode.NoError) => new(error, rcode, [], 0);

    /// <summary>RFC 2181 8: a TTL with the top bit set is read as zero.</summary>
    private static uint Ttl(uint raw) => raw > int.MaxValue ? 0 : raw;

    private readonly record struct Record(string Owner, ushort Type, ushort Class, uint Ttl, int DataStart, int DataLength, string? Target);

    private static bool TryReadRecord(ReadOnlySpan<byte> message, ref int position, bool readCnameTarget, out Record record)
    {
        record = default;
        if (!TryReadName(message, ref position, out var owner) || position + 10 > message.Length)
        {
            return false;
        }
        var type = BinaryPrimitives.ReadUInt16BigEndian(message[position..]);
        var @class = BinaryPrimitives.ReadUInt16BigEndian(message[(position + 2)..]);
        var ttl = Ttl(BinaryPrimitives.ReadUInt32BigEndian(message[(position + 4)..]));
        int length = BinaryPrimitives.ReadUInt16BigEndian(message[(position + 8)..]);
        var start = position + 10;
        if (start + length > message.Length)
        {
            return false;
        }
        string? target = null;
        if (readCnameTarget && type == TypeCname && @class == ClassIn)
        {
            var at = start;
            if (!TryReadName(message, ref at, out target) || at != start + length || target.Length == 0)
            {
                return false;
            }
        }
        position = start + length;
        record = new Record(owner, type, @class, ttl, start, length, target);
        return true;
    }

    /// <summary>
    /// Reads a possibly compressed name at <paramref name="position"/> as lowercase dotted text without
    /// the final dot ("" for the root); a '.' or '\' inside a label and bytes outside printable ASCII
    /// are escaped (\. \\ \DDD) so two different names never read the same. Advances
    /// <paramref name="position"/> past the name's bytes at that place (the first pointer included).
    /// False on any bound, label-type, length or pointer-loop violation.
    /// </summary>
    private static bool TryReadName(ReadOnlySpan<byte> message, ref int position, out string name)
    {
        name = "";
        Span<char> text = stackalloc char[MaxNameWireLength * 4];
        var length = 0;
        var wire = 1;
        var at = position;
        var end = -1;
        var jumps = 0;
        while (true)
        {
            if (at >= message.Length)
            {
                return false;
            }
            var b = message[at];
            if (b == 0)
            {
                if (end < 0)
                {
                    end = at + 1;
                }
                break;
            }
            switch (b & 0xC0)
            {
                case 0xC0:
                    if (at + 1 >= message.Length || ++jumps > MaxPointerJumps)
                    {
                        return false;
                    }
                    if (end < 0)
                    {
                        end = at + 2;
                    }
                    at = ((b & 0x3F) << 8) | message[at + 1];
                    continue;
                case 0x00:
                    wire += b + 1;
                    if (wire > MaxNameWireLength || at + 1 + b > message.Length)
                    {
                        return false;
                    }
                    if (length > 0)
                    {
                        text[length++] = '.';
                    }
                    foreach (var c in message.Slice(at + 1, b))
                    {
                        length = Append(text, length, c);
                    }
                    at += 1 + b;
                    continue;
                default:
                    return false; // 0x40 / 0x80: extended and reserved label types
            }
        }
        position = end;
        name = new string(text[..length]);
        return true;
    }

    private static int Append(Span<char> text, int length, byte c)
    {
        if (c is (byte)'.' or (byte)'\\')
        {
            text[length++] = '\\';
            text[length++] = (char)c;
        }
        else if (c is > 0x20 and < 0x7F)
        {
            text[length++] = c is >= (byte)'A' and <= (byte)'Z' ? (char)(c + 32) : (char)c;
        }
        else
        {
            text[length++] = '\\';
            text[length++] = (char)('0' + c / 100);
            text[length++] = (char)('0' + c / 10 % 10);
            text[length++] = (char)('0' + c % 10);
        }
        return length;
    }

    /// <summary>The form <see cref="TryReadName"/> produces, for a name that passed <see cref="TryMeasureName"/>.</summary>
    private static string Canonical(string name)
    {
        var trimmed = name.EndsWith('.') ? name[..^1] : name;
        return string.Create(trimmed.Length, trimmed, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
            }
        });
    }

    private static bool TryMeasureName(string name, out int wireLength)
    {
        wireLength = 0;
        var trimmed = name.EndsWith('.') ? name.AsSpan(0, name.Length - 1) : name.AsSpan();
        if (trimmed.IsEmpty)
        {
            return false;
        }
        var total = 1;
        foreach (var range in Labels(name))
        {
            var label = trimmed[range];
            if (label.IsEmpty || label.Length > MaxLabelLength)
            {
                return false;
            }
            foreach (var c in label)
            {
                if (c is <= ' ' or >= '\x7F' or '\\')
                {
                    return false;
                }
            }
            total += label.Length + 1;
        }
        if (total > MaxNameWireLength)
        {
            return false;
        }
        wireLength = total;
        return true;
    }

    /// <summary>The label ranges of <paramref name="name"/>, a final dot ignored.</summary>
    private static List<Range> Labels(string name)
    {
        var length = name.EndsWith('.') ? name.Length - 1 : name.Length;
        var ranges = new List<Range>();
        var start = 0;
        for (var i = 0; i <= length; i++)
        {
            if (i == length || name[i] == '.')
            {
                ranges.Add(new Range(start, i));
                start = i + 1;
            }
        }
        return ranges;
    }
}
