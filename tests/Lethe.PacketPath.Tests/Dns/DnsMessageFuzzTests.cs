using CsCheck;
using Lethe.PacketPath.Dns;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Dns;

public sealed class DnsMessageFuzzTests
{
    private static readonly Gen<string> Label = Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-_"].Array[1, 12].Select(c => new string(c));

    private static readonly Gen<string> Name = Label.Array[1, 4].Select(labels => string.Join('.', labels));

    private static readonly Gen<DnsQueryType> Type = Gen.OneOf(Gen.Const(DnsQueryType.A), Gen.Const(DnsQueryType.Aaaa));

    /// <summary>A well-formed response: a CNAME chain of 0..3 links, then 0..5 addresses; owners compressed or not.</summary>
    private static readonly Gen<(byte[] Bytes, ushort Id, string Name, DnsQueryType Type, NetAddress[] Expected, uint Ttl)> Valid =
        from id in Gen.UShort
        from name in Name
        from type in Type
        from links in Gen.Int[0, 3]
        from chainTtls in Gen.UInt[0, 100_000].Array[links]
        from addresses in Gen.UInt128.Array[0, 5]
        from ttls in Gen.UInt[0, 100_000].Array[addresses.Length]
        from compress in Gen.Bool
        select Build(id, name, type, chainTtls, addresses, ttls, compress);

    private static (byte[], ushort, string, DnsQueryType, NetAddress[], uint) Build(ushort id, string name, DnsQueryType type,
        uint[] chainTtls, UInt128[] bits, uint[] ttls, bool compress)
    {
        var records = new List<Rr>();
        var owner = name;
        for (var i = 0; i < chainTtls.Length; i++)
        {
            var target = $"alias{i}.{name}";
            records.Add(Rr.Cname(owner, target, chainTtls[i]));
            owner = target;
        }
        var addresses = bits.Select(b => type == DnsQueryType.A ? NetAddress.V4((uint)b) : new NetAddress(b, true)).ToArray();
        for (var i = 0; i < addresses.Length; i++)
        {
            records.Add(type == DnsQueryType.A ? Rr.A(owner, addresses[i].ToString(), ttls[i]) : Rr.Aaaa(owner, addresses[i].ToString(), ttls[i]));
        }
        var ttl = addresses.Length == 0 ? 0u : chainTtls.Concat(ttls).Min();
        var bytes = DnsWire.Response(id, name, (ushort)type, answers: records, compress: compress);
        return (bytes, id, name, type, addresses.Distinct().ToArray(), ttl);
    }

    [Fact]
    public void well_formed_responses_give_back_their_addresses_and_smallest_ttl()
    {
        Valid.Sample(v =>
        {
            var response = DnsMessage.Parse(v.Bytes, v.Id, v.Name, v.Type);
            Assert.Equal(DnsParseError.None, response.Error);
            Assert.Equal(v.Expected, response.Addresses);
            Assert.Equal(v.Ttl, response.TtlSeconds);
        }, iter: 2000);
    }

    [Fact]
    public void queries_carry_the_name_they_were_written_for()
    {
        Gen.Select(Name, Type, Gen.UShort).Sample((name, type, id) =>
        {
            var buffer = new byte[DnsMessage.MaxQueryLength];
            Assert.True(DnsMessage.TryWriteQuery(buffer, name, type, id, out var written));
            var query = DnsWire.ReadQuery(buffer.AsSpan(0, written));
            Assert.Equal((id, (ushort)0x0100, 1, name, (ushort)type, (ushort)1), query);
            Assert.Equal(12 + name.Length + 2 + 4, written);
        }, iter: 2000);
    }

    [Fact]
    public void random_bytes_after_a_matching_header_never_throw()
    {
        Gen.Select(Gen.Byte.Array[0, 300], Name, Type, Gen.Bool).Sample((bytes, name, type, keepQuestion) =>
        {
            var message = keepQuestion
                ? [.. DnsWire.Response(0x4242, name, (ushort)type).AsSpan(0, 12 + name.Length + 2 + 4), .. bytes]
                : bytes;
            if (message.Length >= 4)
            {
                message[0] = 0x42;
                message[1] = 0x42;
                message[2] = (byte)(0x80 | (message[2] & 0x05)); // QR, opcode QUERY, no TC
            }
            if (keepQuestion && bytes.Length >= 6)
            {
                bytes.AsSpan(0, 6).CopyTo(message.AsSpan(6)); // random answer, authority and additional counts
            }
            _ = DnsMessage.Parse(message, 0x4242, name, type);
        }, iter: 20_000);
    }

    [Fact]
    public void mutated_responses_never_throw()
    {
        var fixtures = Gen.OneOf(
            Valid.Select(v => (v.Bytes, v.Id, v.Name, v.Type)),
            Gen.Const((DnsMessageTests.TwoAddresses, (ushort)0x1234, "example.com", DnsQueryType.A)),
            Gen.Const((DnsMessageTests.CnameChain, (ushort)0xABCD, "www.example.com", DnsQueryType.A)),
            Gen.Const((DnsMessageTests.NxDomain, (ushort)0x0001, "nope.example.com", DnsQueryType.A)));

        var mutated =
            from fixture in fixtures
            from writes in Gen.Select(Gen.Int[0, fixture.Item1.Length - 1], Gen.Byte).Array[1, 8]
            from length in Gen.Int[0, fixture.Item1.Length + 16]
            select (Mutate(fixture.Item1, writes, length), fixture.Item2, fixture.Item3, fixture.Item4);

        mutated.Sample(m =>
        {
            var (bytes, id, name, type) = m;
            var response = DnsMessage.Parse(bytes, id, name, type);
            Assert.NotNull(response.Addresses);
            if (!response.IsValid)
            {
                Assert.Empty(response.Addresses);
            }
        }, iter: 20_000);
    }

    [Fact]
    public void chains_of_pointers_never_hang_or_throw()
    {
        // A question whose name is nothing but pointers, each to one of the others (or itself): always a loop.
        Gen.Byte.Array[1, 80].Sample(targets =>
        {
            var message = new byte[12 + targets.Length * 2 + 4];
            message[0] = 0x42;
            message[1] = 0x42;
            message[2] = 0x81;
            message[5] = 1;
            for (var i = 0; i < targets.Length; i++)
            {
                message[12 + 2 * i] = 0xC0;
                message[13 + 2 * i] = (byte)(12 + 2 * (targets[i] % targets.Length));
            }
            Assert.Equal(DnsParseError.Malformed, DnsMessage.Parse(message, 0x4242, "example.com", DnsQueryType.A).Error);
        }, iter: 5000);
    }

    private static byte[] Mutate(byte[] source, (int At, byte Value)[] writes, int length)
    {
        var bytes = new byte[length];
        source.AsSpan(0, Math.Min(length, source.Length)).CopyTo(bytes);
        foreach (var (at, value) in writes)
        {
            if (at < length)
            {
                bytes[at] = value;
            }
        }
        return bytes;
    }
}
