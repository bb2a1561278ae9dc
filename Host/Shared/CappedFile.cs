namespace Lethe.Hosts;

/// <summary>
/// Reads a file the user named, up to a bound: a device or a pipe (/dev/zero) must not grow the
/// process until it dies. Compiled into lethe and lethe-firewall alike, and into Lethe.Infrastructure
/// for the signing key (linked from Host/Shared).
/// </summary>
internal static class CappedFile
{
    /// <summary>The file's bytes; null when it holds more than <paramref name="maxBytes"/>.</summary>
    /// <exception cref="IOException">It cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">It may not be read.</exception>
    public static async Task<byte[]?> Read(string path, long maxBytes, CancellationToken ct)
    {
        if (Directory.Exists(path))
        {
            // Opening one says "Access denied", which sends a root user looking at permissions.
            throw new IOException($"{path} is a folder; give a file");
        }
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await file.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
