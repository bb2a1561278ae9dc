using Lethe.PacketPath.Dns;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Dns;

public sealed class DnsMessageTests
{
    /// <summary>example.com A, id 0x1234: two answers whose owner is a pointer to the question (offset 12).</summary>
    internal static readonly byte[] TwoAddresses =
    [
        0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 3, (byte)'c', (byte)'o', (byte)'m', 0,
        0x00, 0x01, 0x00, 0x01,
        0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2C, 0x00, 0x04, 192, 0, 2, 1,
        0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x04, 192, 0, 2, 2,
    ];

    /// <summary>
    /// www.example.com A, id 0xABCD: www.example.com CNAME cdn.example.net (ttl 120, at 33);
    /// cdn.example.net (pointer to 45) CNAME edge + pointer to 45 (ttl 600, at 62);
    /// other + pointer to 16 (other.example.com) A 10.0.0.1 ttl 5, unrelated (at 81);
    /// edge.cdn.example.net (pointer to 74) A 198.51.100.7 ttl 300 (at 103).
    /// </summary>
    internal static readonly byte[] CnameChain =
    [
        0xAB, 0xCD, 0x81, 0x80, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
        3, (byte)'w', (byte)'w', (byte)'w', 7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 3, (byte)'c', (byte)'o', (byte)'m', 0,
        0x00, 0x01, 0x00, 0x01,
        // 33
        0xC0, 0x0C, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x11,
        3, (byte)'c', (byte)'d', (byte)'n', 7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 3, (byte)'n', (byte)'e', (byte)'t', 0,
        // 62
        0xC0, 0x2D, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x07,
        4, (byte)'e', (byte)'d', (byte)'g', (byte)'e', 0xC0, 0x2D,
        // 81
        5, (byte)'o', (byte)'t', (byte)'h', (byte)'e', (byte)'r', 0xC0, 0x10, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x04, 10, 0, 0, 1,
        // 103
        0xC0, 0x4A, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2C, 0x00, 0x04, 198, 51, 100, 7,
    ];

    /// <summary>nope.example.com A, id 0x0001, NXDOMAIN; authority: example.com (pointer to 17) SOA, ttl 3600, MINIMUM 300.</summary>
    internal static readonly byte[] NxDomain =
    [
        0x00, 0x01, 0x81, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        4, (byte)'n', (byte)'o', (byte)'p', (byte)'e', 7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 3, (byte)'c', (byte)'o', (byte)'m', 0,
        0x00, 0x01, 0x00, 0x01,
        // 34
        0xC0, 0x11, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x0E, 0x10, 0x00, 0x26,
        2, (byte)'n', (byte)'s', 0xC0, 0x11,
        10, (byte)'h', (byte)'o', (byte)'s', (byte)'t', (byte)'m', (byte)'a', (byte)'s', (byte)'t', (byte)'e', (byte)'r', 0xC0, 0x11,
        0x78, 0x12, 0x34, 0x56, 0x00, 0x00, 0x1C, 0x20, 0x00, 0x00, 0x03, 0x84, 0x00, 0x12, 0x75, 0x00, 0x00, 0x00, 0x01, 0x2C,
    ];

    private static NetAddress Address(string text) => NetAddress.Parse(text);

    [Fact]
    public void a_query_has_rd_set_one_question_and_class_in()
    {
        var buffer = new byte[DnsMessage.MaxQueryLength];
        Assert.True(DnsMessage.TryWriteQuery(buffer, "www.example.com", DnsQueryType.Aaaa, 0xBEEF, out var written));

        byte[] expected =
        [
            0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            3, (byte)'w', (byte)'w', (byte)'w', 7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 3, (byte)'c', (byte)'o', (byte)'m', 0,
            0x00, 0x1C, 0x00, 0x01,
        ];
        Assert.Equal(expected, buffer[..written]);
    }

    [Fact]
    public void a_final_dot_is_ignored_when_writing_a_query()
    {
        var withDot = new byte[DnsMessage.MaxQueryLength];
        var without = new byte[DnsMessage.MaxQueryLength];
        Assert.True(DnsMessage.TryWriteQuery(withDot, "example.com.", DnsQueryType.A, 7, out var a));
        Assert.True(DnsMessage.TryWriteQuery(without, "example.com", DnsQueryType.A, 7, out var b));
        Assert.Equal(without[..b], withDot[..a]);
    }

    [Fact]
    public void query_ids_are_random()
    {
        var buffer = new byte[DnsMessage.MaxQueryLength];
        var ids = new HashSet<ushort>();
        for (var i = 0; i < 64; i++)
        {
            Assert.True(DnsMessage.TryWriteQuery(buffer, "example.com", DnsQueryType.A, out var id, out _));
            Assert.Equal(id, (ushort)(buffer[0] << 8 | buffer[1]));
            ids.Add(id);
        }
        Assert.True(ids.Count > 50, $"only {ids.Count} distinct ids in 64 queries");
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData(".example.com")]
    [InlineData("a..b")]
    [InlineData("has space.example")]
    [InlineData("back\\slash.example")]
    [InlineData("ünïcode.example")]
    public void an_invalid_name_writes_no_query(string name)
    {
        var buffer = new byte[DnsMessage.MaxQueryLength];
        Assert.False(DnsMessage.IsValidName(name));
        Assert.False(DnsMessage.TryWriteQuery(buffer, name, DnsQueryType.A, 1, out var written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void labels_of_64_bytes_and_names_over_255_bytes_are_refused()
    {
        Assert.True(DnsMessage.IsValidName(new string('a', 63) + ".example"));
        Assert.False(DnsMessage.IsValidName(new string('a', 64) + ".example"));

        var longest = string.Join('.', Enumerable.Repeat(new string('b', 63), 3)) + "." + new string('c', 61); // 64*3 + 62 + 1 = 255
        Assert.True(DnsMessage.IsValidName(longest));
        Assert.False(DnsMessage.IsValidName(longest + "c"));
    }

    [Fact]
    public void a_too_small_buffer_or_another_type_writes_no_query()
    {
        Assert.False(DnsMessage.TryWriteQuery(new byte[20], "example.com", DnsQueryType.A, 1, out _));
        Assert.False(DnsMessage.TryWriteQuery(new byte[DnsMessage.MaxQueryLength], "example.com", (DnsQueryType)5, 1, out _));
    }

    [Fact]
    public void answers_behind_compression_pointers_are_collected_with_the_smallest_ttl()
    {
        var response = DnsMessage.Parse(TwoAddresses, 0x1234, "example.com", DnsQueryType.A);

        Assert.Equal(DnsParseError.None, response.Error);
        Assert.Equal(DnsResponseCode.NoError, response.ResponseCode);
        Assert.Equal([Address("192.0.2.1"), Address("192.0.2.2")], response.Addresses);
        Assert.Equal(60u, response.TtlSeconds);
    }

    [Fact]
    public void the_question_echo_is_compared_without_regard_to_case_or_a_final_dot()
    {
        Assert.True(DnsMessage.Parse(TwoAddresses, 0x1234, "ExAmPle.COM.", DnsQueryType.A).IsValid);
    }

    [Fact]
    public void a_cname_chain_in_the_answer_section_is_followed_to_its_addresses()
    {
        var response = DnsMessage.Parse(CnameChain, 0xABCD, "www.example.com", DnsQueryType.A);

        Assert.Equal(DnsParseError.None, response.Error);
        Assert.Equal([Address("198.51.100.7")], response.Addresses);
        Assert.Equal(120u, response.TtlSeconds); // the first CNAME's; the unrelated record's 5 s does not count
    }

    [Fact]
    public void nxdomain_is_a_valid_response_with_the_soa_negative_ttl()
    {
        var response = DnsMessage.Parse(NxDomain, 0x0001, "nope.example.com", DnsQueryType.A);

        Assert.Equal(DnsParseError.None, response.Error);
        Assert.Equal(DnsResponseCode.NameError, response.ResponseCode);
        Assert.Empty(response.Addresses);
        Assert.Equal(300u, response.TtlSeconds);
    }

    [Fact]
    public void nodata_is_a_valid_response_with_no_addresses()
    {
        var bytes = DnsWire.Response(9, "v4only.example", 28, authority: [Rr.Soa("example", 600, 60)]);
        var response = DnsMessage.Parse(bytes, 9, "v4only.example", DnsQueryType.Aaaa);

        Assert.Equal(DnsParseError.None, response.Error);
        Assert.Equal(DnsResponseCode.NoError, response.ResponseCode);
        Assert.Empty(response.Addresses);
        Assert.Equal(60u, response.TtlSeconds);
    }

    [Fact]
    public void a_referral_is_not_read_as_a_name_without_addresses()
    {
        // What a server that does not recurse answers: no answer, the zone's name servers, no SOA.
        var bytes = DnsWire.Response(9, "lab.example", 1, authority: [new Rr("example", 2, 172800, DnsWire.Name("ns1.example"))],
            recursionAvailable: false);

        var response = DnsMessage.Parse(bytes, 9, "lab.example", DnsQueryType.A);

        Assert.Equal(DnsParseError.Referral, response.Error);
        Assert.Empty(response.Addresses);
    }

    [Fact]
    public void the_same_shape_from_a_recursive_server_is_its_no_data_answer()
    {
        // RFC 2308 2.2.1, type 2: NODATA with the zone's name servers and no SOA.
        var bytes = DnsWire.Response(9, "v4only.example", 28, authority: [new Rr("example", 2, 172800, DnsWire.Name("ns1.example"))]);

        var response = DnsMessage.Parse(bytes, 9, "v4only.example", DnsQueryType.Aaaa);

        Assert.Equal(DnsParseError.None, response.Error);
        Assert.Equal(DnsResponseCode.NoError, response.ResponseCode);
        Assert.Empty(response.Addresses);
    }

    [Fact]
    public void servfail_with_or_without_a_question_is_reported_as_such()
    {
        var echoed = DnsMessage.Parse(DnsWire.Response(5, "example.com", 1, rcode: 2), 5, "example.com", DnsQueryType.A);
        var bare = DnsMessage.Parse(DnsWire.Bare(5, 2), 5, "example.com", DnsQueryType.A);

        foreach (var response in new[] { echoed, bare })
        {
            Assert.Equal(DnsParseError.None, response.Error);
            Assert.Equal(DnsResponseCode.ServerFailure, response.ResponseCode);
            Assert.Empty(response.Addresses);
        }
        Assert.Equal(DnsParseError.QuestionMismatch, DnsMessage.Parse(DnsWire.Bare(5, 0), 5, "example.com", DnsQueryType.A).Error);
    }

    [Fact]
    public void aaaa_answers_are_read_as_ipv6()
    {
        var bytes = DnsWire.Response(3, "six.example", 28, answers: [Rr.Aaaa("six.example", "2001:db8::1", 90), Rr.Aaaa("six.example", "2001:db8::2", 80)]);
        var response = DnsMessage.Parse(bytes, 3, "six.example", DnsQueryType.Aaaa);

        Assert.Equal([Address("2001:db8::1"), Address("2001:db8::2")], response.Addresses);
        Assert.All(response.Addresses, a => Assert.True(a.IsV6));
        Assert.Equal(80u, response.TtlSeconds);
    }

    [Fact]
    public void records_of_another_type_or_owner_are_ignored()
    {
        var bytes = DnsWire.Response(3, "a.example", 1, answers:
        [
            Rr.A("a.example", "192.0.2.1"),
            Rr.A("b.example", "192.0.2.2"),
            new Rr("a.example", 16, 1, [3, (byte)'t', (byte)'x', (byte)'t']),
        ]);

        var response = DnsMessage.Parse(bytes, 3, "a.example", DnsQueryType.A);

        Assert.Equal([Address("192.0.2.1")], response.Addresses);
        Assert.Equal(300u, response.TtlSeconds);
    }

    [Fact]
    public void a_ttl_with_the_top_bit_set_counts_as_zero()
    {
        var bytes = DnsWire.Response(3, "a.example", 1, answers: [Rr.A("a.example", "192.0.2.1", ttl: 0x8000_0000)]);
        Assert.Equal(0u, DnsMessage.Parse(bytes, 3, "a.example", DnsQueryType.A).TtlSeconds);
    }

    [Fact]
    public void a_response_to_another_query_is_told_apart()
    {
        Assert.Equal(DnsParseError.IdMismatch, DnsMessage.Parse(TwoAddresses, 0x1235, "example.com", DnsQueryType.A).Error);
        Assert.Equal(DnsParseError.QuestionMismatch, DnsMessage.Parse(TwoAddresses, 0x1234, "example.org", DnsQueryType.A).Error);
        Assert.Equal(DnsParseError.QuestionMismatch, DnsMessage.Parse(TwoAddresses, 0x1234, "example.com", DnsQueryType.Aaaa).Error);
        Assert.Equal(DnsParseError.QuestionMismatch, DnsMessage.Parse(TwoAddresses, 0x1234, "sub.example.com", DnsQueryType.A).Error);

        var query = (byte[])TwoAddresses.Clone();
        query[2] &= 0x7F; // QR clear
        Assert.Equal(DnsParseError.NotAResponse, DnsMessage.Parse(query, 0x1234, "example.com", DnsQueryType.A).Error);

        var otherClass = (byte[])TwoAddresses.Clone();
        otherClass[28] = 3; // question class CH
        Assert.Equal(DnsParseError.QuestionMismatch, DnsMessage.Parse(otherClass, 0x1234, "example.com", DnsQueryType.A).Error);
    }

    [Fact]
    public void a_truncated_response_is_reported_as_truncated()
    {
        var truncated = (byte[])TwoAddresses.Clone();
        truncated[2] |= 0x02;
        Assert.Equal(DnsParseError.Truncated, DnsMessage.Parse(truncated, 0x1234, "example.com", DnsQueryType.A).Error);
    }

    [Fact]
    public void every_cut_short_response_is_malformed()
    {
        foreach (var fixture in new[] { (TwoAddresses, (ushort)0x1234, "example.com"), (CnameChain, (ushort)0xABCD, "www.example.com"), (NxDomain, (ushort)1, "nope.example.com") })
        {
            var (bytes, id, name) = fixture;
            for (var length = 0; length < bytes.Length; length++)
            {
                var response = DnsMessage.Parse(bytes.AsSpan(0, length), id, name, DnsQueryType.A);
                Assert.True(response.Error == DnsParseError.Malformed, $"{name} cut to {length} bytes: {response.Error}");
            }
        }
    }

    [Fact]
    public void a_pointer_to_itself_is_malformed()
    {
        byte[] bytes = [0x00, 0x07, 0x81, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01];
        Assert.Equal(DnsParseError.Malformed, DnsMessage.Parse(bytes, 7, "example.com", DnsQueryType.A).Error);
    }

    [Fact]
    public void two_pointers_to_each_other_are_malformed()
    {
        var bytes = DnsWire.Response(7, "example.com", 1, answers: [Rr.A("example.com", "192.0.2.1")], compress: false).ToList();
        // The answer's owner: a pointer to the next two bytes, which point back.
        var owner = 12 + DnsWire.Name("example.com").Length + 4;
        bytes.RemoveRange(owner, DnsWire.Name("example.com").Length);
        bytes.InsertRange(owner, [0xC0, (byte)(owner + 2), 0xC0, (byte)owner]);
        Assert.Equal(DnsParseError.Malformed, DnsMessage.Parse(bytes.ToArray(), 7, "example.com", DnsQueryType.A).Error);
    }

    [Fact]
    public void a_pointer_past_the_end_is_malformed()
    {
        var bytes = (byte[])TwoAddresses.Clone();
        bytes[30] = 0xFF; // the first answer's owner now points to offset 255, past the end
        Assert.Equal(DnsParseError.Malformed, DnsMessage.Parse(bytes, 0x1234, "example.com", DnsQueryType.A).Error);
    }

    [Fact]
    public void extended_label_types_are_malformed()
    {
        var bytes = (byte[])TwoAddresses.Clone();
        bytes[29] = 0x40;
        Assert.Equal(DnsParseError.Malformed, DnsMessage.Parse(bytes, 0x1234, "example.com", DnsQueryType.A).Error);
    }

    [Fact]
    public void an_address_record_of_the_wrong_length_is_malformed()
    {
        var bytes = DnsWire.Response(3, "a.example", 1, answers: [new Rr("a.example", 1, 60, [192, 0, 2])]);
        Assert.Equal(DnsParseError.Malformed, DnsMessage.Parse(bytes, 3, "a.example", DnsQueryType.A).Error);
    }

    [Fact]
    public void rdata_longer_than_the_message_is_malformed()
    {
        var bytes = (byte[])TwoAddresses.Clone();
        bytes[^5] = 0x05; // second answer's RDLENGTH 4 → 5
        Assert.Equal(DnsParseError.Malformed, DnsMessage.Parse(bytes, 0x1234, "example.com", DnsQueryType.A).Error);
    }

    [Fact]
    public void a_cname_loop_is_malformed()
    {
        var bytes = DnsWire.Response(3, "a.example", 1, answers: [Rr.Cname("a.example", "b.example"), Rr.Cname("b.example", "a.example")]);
        Assert.Equal(DnsParseError.Malformed, DnsMessage.Parse(bytes, 3, "a.example", DnsQueryType.A).Error);
    }

    [Fact]
    public void a_cname_chain_of_sixteen_is_followed_and_seventeen_is_too_long()
    {
        static byte[] Chain(int links)
        {
            var records = Enumerable.Range(0, links).Select(i => Rr.Cname(i == 0 ? "start.example" : $"n{i}.example", $"n{i + 1}.example")).ToList();
            records.Add(Rr.A($"n{links}.example", "192.0.2.9"));
            return DnsWire.Response(3, "start.example", 1, answers: records);
        }

        Assert.Equal([Address("192.0.2.9")], DnsMessage.Parse(Chain(16), 3, "start.example", DnsQueryType.A).Addresses);
        Assert.Equal(DnsParseError.Malformed, DnsMessage.Parse(Chain(17), 3, "start.example", DnsQueryType.A).Error);
    }

    [Fact]
    public void a_cname_to_a_name_without_addresses_is_resolved_to_nothing()
    {
        var bytes = DnsWire.Response(3, "a.example", 1, answers: [Rr.Cname("a.example", "b.example", 50), Rr.A("a.example", "192.0.2.1")]);
        var response = DnsMessage.Parse(bytes, 3, "a.example", DnsQueryType.A);

        Assert.Equal(DnsParseError.None, response.Error);
        Assert.Empty(response.Addresses); // the A record beside the CNAME is not the alias target's
        Assert.Equal(0u, response.TtlSeconds);
    }

    [Fact]
    public void a_label_holding_a_dot_is_not_two_labels()
    {
        // One label "example.com" (with a dot in it) in the answer owner must not pass for example.com.
        var bytes = DnsWire.Response(3, "example.com", 1, answers: [], compress: false).ToList();
        byte[] owner = [11, .. "example.com"u8, 0];
        bytes[7] = 1; // ANCOUNT
        bytes.AddRange([.. owner, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
        var response = DnsMessage.Parse(bytes.ToArray(), 3, "example.com", DnsQueryType.A);

        Assert.Equal(DnsParseError.None, response.Error);
        Assert.Empty(response.Addresses);
    }
}
