using System.Buffers.Binary;
using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>rtnetlink requests as the kernel reads them, and answers read without trusting their lengths.</summary>
public sealed class NetlinkMessageTests
{
    [Fact]
    public void a_request_has_its_length_type_flags_sequence_and_attributes_padded_to_four_bytes()
    {
        var buffer = new byte[64];
        var message = new NetlinkMessage(buffer, type: 18, NetlinkMessage.FlagRequest, sequence: 7, familyHeaderSize: 16);
        message.Add(3, "ab\0"u8);
        message.Add(46, -1);

        var request = message.Finish().ToArray();

        Assert.Equal(16 + 16 + 8 + 8, request.Length);
        Assert.Equal((uint)request.Length, BinaryPrimitives.ReadUInt32LittleEndian(request));
        Assert.Equal((18, 1, 7u), (BinaryPrimitives.ReadUInt16LittleEndian(request.AsSpan(4)), BinaryPrimitives.ReadUInt16LittleEndian(request.AsSpan(6)), BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(8))));
        Assert.Equal(new byte[] { 7, 0, 3, 0, (byte)'a', (byte)'b', 0, 0 }, request[32..40]);
        Assert.Equal(new byte[] { 8, 0, 46, 0, 0xff, 0xff, 0xff, 0xff }, request[40..48]);
        Assert.True(NetlinkMessage.TryAttribute(request, 16, 46, out var value));
        Assert.Equal(-1, BinaryPrimitives.ReadInt32LittleEndian(value));
    }

    [Fact]
    public void the_answer_to_a_sequence_is_found_among_others_and_an_error_gives_its_errno()
    {
        var datagram = Concat(Message(type: 16, sequence: 3, Attribute(4, 1500)), Message(type: 16, sequence: 4, Attribute(4, 1280)));
        var error = Concat(Message(type: NetlinkMessage.Error, sequence: 5, BitConverter.GetBytes(-19)));

        Assert.True(NetlinkMessage.TryFindAnswer(datagram, 4, out var answer, out var type, out var errno));
        Assert.Equal((16, 0), (type, errno));
        Assert.True(NetlinkMessage.TryAttribute(answer, 0, 4, out var mtu));
        Assert.Equal(1280, BinaryPrimitives.ReadInt32LittleEndian(mtu));
        Assert.True(NetlinkMessage.TryFindAnswer(error, 5, out _, out type, out errno));
        Assert.Equal((NetlinkMessage.Error, 19), (type, errno));
        Assert.False(NetlinkMessage.TryFindAnswer(datagram, 9, out _, out _, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(4096)]
    public void a_message_whose_length_does_not_fit_the_datagram_is_not_read(uint length)
    {
        var datagram = Message(type: 16, sequence: 3, Attribute(4, 1500));
        BinaryPrimitives.WriteUInt32LittleEndian(datagram, length);

        Assert.False(NetlinkMessage.TryFindAnswer(datagram, 3, out _, out _, out _));
        Assert.False(NetlinkMessage.TryFindAnswer(datagram[..10], 3, out _, out _, out _));
    }

    [Fact]
    public void an_attribute_whose_length_runs_past_the_message_ends_the_search()
    {
        var message = Message(type: 16, sequence: 3, Concat(Attribute(3, 7), Attribute(4, 1500)));
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(16), 200);

        Assert.False(NetlinkMessage.TryAttribute(message, 0, 4, out _));
        Assert.False(NetlinkMessage.TryAttribute(message[..18], 0, 3, out _));
    }

    [Fact]
    public void a_nested_attribute_is_found_inside_its_parent_whose_nested_flag_is_ignored()
    {
        // IFLA_LINKINFO (18, NLA_F_NESTED) holding IFLA_INFO_DATA (2, nested) holding IFLA_TUN_NUM_QUEUES (8).
        var data = Nested(2, Concat(Attribute(7, 1), Attribute(8, 3)));
        var message = Message(type: 16, sequence: 3, Concat(Attribute(4, 1500), Nested(18, Concat(Attribute(1, 0), data))));

        Assert.True(NetlinkMessage.TryAttribute(message, 0, 18, out var linkInfo));
        Assert.True(NetlinkMessage.TryNestedAttribute(linkInfo, 2, out var tun));
        Assert.True(NetlinkMessage.TryNestedAttribute(tun, 8, out var queues));
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(queues));
        Assert.False(NetlinkMessage.TryNestedAttribute(tun, 9, out _));
    }

    private static byte[] Nested(ushort type, byte[] attributes)
    {
        var attribute = new byte[4 + attributes.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(attribute, (ushort)attribute.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(attribute.AsSpan(2), (ushort)(type | 0x8000));
        attributes.CopyTo(attribute, 4);
        return attribute;
    }

    private static byte[] Message(ushort type, uint sequence, byte[] body)
    {
        var message = new byte[16 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), type);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), sequence);
        body.CopyTo(message, 16);
        return message;
    }

    private static byte[] Attribute(ushort type, int value)
    {
        var attribute = new byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(attribute, 8);
        BinaryPrimitives.WriteUInt16LittleEndian(attribute.AsSpan(2), type);
        BinaryPrimitives.WriteInt32LittleEndian(attribute.AsSpan(4), value);
        return attribute;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
