using CsCheck;
using Lethe.PacketPath.Forwarding;

namespace Lethe.PacketPath.Tests.Forwarding;

public class HandoffRingTests
{
    private static byte[] Frame(int length, int seed)
    {
        var frame = new byte[length];
        for (var i = 0; i < length; i++)
        {
            frame[i] = (byte)(seed * 31 + i);
        }
        return frame;
    }

    [Fact]
    public void a_held_fragments_deadline_crosses_the_ring_with_it()
    {
        using var ring = new HandoffRing(4096);
        Assert.True(ring.TryPut(new byte[100], 3, expiresAtMs: 123_456));
        Assert.True(ring.TryPut(new byte[100], 4));

        Assert.True(ring.TryPeek(out _, out var device, out var expiresAtMs));
        Assert.Equal((3, 123_456L), (device, expiresAtMs));
        ring.Release();
        Assert.True(ring.TryPeek(out _, out _, out expiresAtMs));
        Assert.Equal(0, expiresAtMs);
    }

    [Fact]
    public void frames_come_out_in_order_with_their_bytes_and_device_across_many_wraps()
    {
        Gen.Int[1, 9000].Array[1, 200].Sample(lengths =>
        {
            var ring = new HandoffRing(32 * 1024);
            var queued = new Queue<(byte[] Frame, int Device)>();
            for (var i = 0; i < lengths.Length; i++)
            {
                var frame = Frame(lengths[i], i);
                while (!ring.TryPut(frame, i % 5))
                {
                    Take(ring, queued.Dequeue());
                }
                queued.Enqueue((frame, i % 5));
            }
            while (queued.Count > 0)
            {
                Take(ring, queued.Dequeue());
            }
            Assert.False(ring.TryPeek(out _, out _));
        }, iter: 200);
    }

    private static void Take(HandoffRing ring, (byte[] Frame, int Device) expected)
    {
        Assert.True(ring.TryPeek(out var frame, out var device), "a frame that was put is missing");
        Assert.Equal(expected.Device, device);
        Assert.True(frame.SequenceEqual(expected.Frame), $"frame of {expected.Frame.Length} bytes came out changed");
        ring.Release();
    }

    [Fact]
    public void a_full_ring_refuses_the_frame_and_keeps_what_it_holds()
    {
        var ring = new HandoffRing(4096);
        var put = 0;
        while (ring.TryPut(Frame(1000, put), put))
        {
            put++;
        }
        Assert.Equal(4, put); // 4 x (1000 + 8) bytes fit in 4096, a fifth does not
        for (var i = 0; i < put; i++)
        {
            Take(ring, (Frame(1000, i), i));
        }
        Assert.True(ring.TryPut(Frame(1000, 9), 9), "room freed by the consumer is used again");
    }

    [Fact]
    public void a_frame_larger_than_half_the_ring_is_refused()
    {
        var ring = new HandoffRing(4096);

        Assert.False(ring.TryPut(new byte[ring.MaxFrame + 1], 0));
        Assert.True(ring.TryPut(new byte[ring.MaxFrame], 0));
    }

    [Fact]
    public void one_producer_thread_and_one_consumer_thread_pass_every_frame_once_in_order()
    {
        const int Frames = 200_000;
        var ring = new HandoffRing(64 * 1024);
        var producer = new Thread(() =>
        {
            var frame = new byte[1500];
            for (var i = 0; i < Frames; i++)
            {
                var length = 64 + i % 1400;
                BitConverter.TryWriteBytes(frame, i);
                frame[length - 1] = (byte)i;
                while (!ring.TryPut(frame.AsSpan(0, length), i & 3))
                {
                    Thread.SpinWait(20);
                }
            }
        });
        producer.Start();
        var next = 0;
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (next < Frames && DateTime.UtcNow < deadline)
        {
            if (!ring.TryPeek(out var frame, out var device))
            {
                Thread.SpinWait(20);
                continue;
            }
            Assert.Equal(next, BitConverter.ToInt32(frame));
            Assert.Equal(64 + next % 1400, frame.Length);
            Assert.Equal((byte)next, frame[^1]);
            Assert.Equal(next & 3, device);
            ring.Release();
            next++;
        }
        producer.Join();
        Assert.Equal(Frames, next);
    }
}
