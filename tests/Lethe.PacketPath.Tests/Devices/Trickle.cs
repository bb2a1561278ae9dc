namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// A pipe's view of a file: it cannot seek or tell its length, and each read returns as few bytes as a
/// pipe may (1 to 7), so a reader must loop for what it needs and find the end only by reading.
/// </summary>
public sealed class Trickle(byte[] bytes, int seed) : Stream
{
    private readonly Random _random = new(seed);
    private int _at;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = Math.Min(Math.Min(buffer.Length, _random.Next(1, 8)), bytes.Length - _at);
        bytes.AsSpan(_at, count).CopyTo(buffer);
        _at += count;
        return count;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
