using System.Runtime.InteropServices;
using System.Text;

namespace Lethe.Firewall;

/// <summary>
/// stdout or stderr written straight to its descriptor with write(2). .NET writes both console
/// streams under one lock on Unix, so a write to a stderr nobody reads, blocked in write(2), would
/// hold up every line of stdout too (and the other way round); each <see cref="QueuedLineWriter"/>
/// gets a descriptor of its own. Not a FileStream: on a regular file it writes at offsets of its own
/// (pwrite), and `boot > log 2>&1` would have the two outputs write over each other.
/// </summary>
public static partial class OwnConsoleWriter
{
    /// <summary>A writer of its own for <see cref="Console.Out"/> or <see cref="Console.Error"/>; any other writer (a test's) as it is.</summary>
    public static TextWriter For(TextWriter writer) =>
        ReferenceEquals(writer, Console.Out) ? Open(1)
        : ReferenceEquals(writer, Console.Error) ? Open(2)
        : writer;

    private static StreamWriter Open(int descriptor) =>
        new(new DescriptorStream(descriptor), new UTF8Encoding(false)) { AutoFlush = true };

    /// <summary>Appends at the descriptor's shared offset, as the console does; a failed write is an <see cref="IOException"/>.</summary>
    private sealed class DescriptorStream(int descriptor) : Stream
    {
        private const int Interrupted = 4; // EINTR

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override unsafe void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                nint written;
                fixed (byte* bytes = buffer)
                {
                    written = WriteSome(descriptor, bytes, buffer.Length);
                }
                if (written < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Interrupted)
                    {
                        continue;
                    }
                    throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
                }
                buffer = buffer[(int)written..];
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteSome(int descriptor, byte* buffer, nint count);
}
