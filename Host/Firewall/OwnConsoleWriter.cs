using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Lethe.Firewall;

/// <summary>
/// stdout or stderr written straight to its descriptor. .NET writes both console streams under one
/// lock on Unix, so a write to a stderr nobody reads, blocked in write(2), would hold up every line of
/// stdout too (and the other way round); each <see cref="QueuedLineWriter"/> gets a descriptor of its own.
/// </summary>
public static class OwnConsoleWriter
{
    /// <summary>A writer of its own for <see cref="Console.Out"/> or <see cref="Console.Error"/>; any other writer (a test's) as it is.</summary>
    public static TextWriter For(TextWriter writer) =>
        ReferenceEquals(writer, Console.Out) ? Open(1)
        : ReferenceEquals(writer, Console.Error) ? Open(2)
        : writer;

    private static StreamWriter Open(int descriptor) =>
        new(new FileStream(new SafeFileHandle(descriptor, ownsHandle: false), FileAccess.Write, bufferSize: 0), new UTF8Encoding(false))
        {
            AutoFlush = true,
        };
}
