using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// `replay --pcap` reads untrusted files: classic and pcapng captures of every supported link type,
/// mutated, are read to their end or refused with <see cref="InvalidDataException"/> and nothing else,
/// from a file and from a pipe, in a bounded number of reads, placing the IP packet inside the captured
/// bytes, with timestamps a clock can hold, and without allocating what a lying length asks for.
/// </summary>
public class CaptureReaderFuzzTests
{
    private const int Iterations = 20_000;

    /// <summary>What a reader may allocate for a file: the 1 MB it reads a section header or interface description into, and change.</summary>
    private const long AllocationLimit = (1 << 20) + 256 * 1024;

    [Fact]
    public void mutated_captures_are_read_or_refused_as_invalid_data_from_a_file_and_from_a_pipe()
    {
        var random = new Random(20261202);
        var failures = new List<string>();
        long packets = 0, refused = 0, whole = 0;
        for (var i = 0; i < Iterations && failures.Count < 5; i++)
        {
            var file = i % 8 == 0 ? CaptureMutations.Valid(random) : CaptureMutations.Mutated(random);
            foreach (var pipe in new[] { false, true })
            {
                Stream stream = pipe ? new Trickle(file, i) : new MemoryStream(file);
                var outcome = Read(stream, file.Length, out var read);
                packets += read;
                if (outcome is null) whole++;
                else if (outcome.StartsWith("refused", StringComparison.Ordinal)) refused++;
                else failures.Add($"iteration {i} ({(pipe ? "pipe" : "file")}, {file.Length} bytes): {outcome}\n{Convert.ToHexString(file[..Math.Min(file.Length, 512)])}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        // Each file is read twice. Many must be read whole, and packets read before a refusal, or only the headers are tested.
        Assert.True(packets > Iterations && whole > Iterations / 10 && refused > Iterations / 2, $"{packets} packets, {whole} read whole, {refused} refused");
    }

    /// <summary>Reads the whole capture as replay does: null when it was read to its end, "refused: ..." or what went wrong.</summary>
    private static string? Read(Stream stream, int fileLength, out int read)
    {
        read = 0;
        // What the reader allocates, the buffer replay sizes by its snaplen left out.
        var mark = GC.GetAllocatedBytesForCurrentThread();
        string? outcome;
        try
        {
            var reader = CaptureReader.Open(stream);
            var opened = GC.GetAllocatedBytesForCurrentThread();
            var buffer = Buffer(reader.SnapLength);
            mark += GC.GetAllocatedBytesForCurrentThread() - opened;
            outcome = ReadAll(reader, buffer, fileLength, ref read);
        }
        catch (InvalidDataException e)
        {
            outcome = "refused: " + e.Message;
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}\n{e.StackTrace}";
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - mark;
        return allocated > AllocationLimit ? $"{allocated} bytes allocated ({outcome ?? "read whole"})" : outcome;
    }

    private static string? ReadAll(ICaptureReader reader, byte[] buffer, int fileLength, ref int read)
    {
        // Each packet a read returns takes at least a 16-byte record or block from the file.
        var limit = fileLength / 16 + 1;
        while (reader.TryRead(buffer, out var micros, out var captured, out var ipOffset, out var ipLength))
        {
            if (++read > limit)
            {
                return $"{read} packets from a file of {fileLength} bytes: it does not end";
            }
            if (captured < 0 || captured > buffer.Length)
            {
                return $"captured length {captured} outside the buffer of {buffer.Length}";
            }
            if (ipOffset < 0 || ipLength < 0 || ipOffset + ipLength > captured || (ipLength == 0 && ipOffset > captured))
            {
                return $"IP packet at {ipOffset}, {ipLength} bytes, outside the {captured} captured";
            }
            if (reader.OriginalLength < captured)
            {
                return $"original length {reader.OriginalLength} under the {captured} captured";
            }
            if (micros is < 0 or > ICaptureReader.LatestMicroseconds)
            {
                return $"timestamp {micros} µs is outside 1970 to 9999";
            }
        }
        return null;
    }

    /// <summary>Sized as replay sizes it.</summary>
    private static byte[] Buffer(uint snapLength) => new byte[Math.Max(65_536 + 64, (int)Math.Min(snapLength, 262_144))];
}
