using System.Text;

namespace Lethe.Control.Cli;

/// <summary>
/// The text `rule import` and `rule parse` read from a FILE or from stdin (-), bounded as a snapshot
/// is: no policy holds more, and /dev/zero given by mistake is not read whole.
/// </summary>
public static class RulesInput
{
    private const int MaxBytes = Domain.Snapshots.SnapshotLimits.MaxFileBytes;

    /// <param name="path">A file, or - for <paramref name="stdin"/>.</param>
    /// <exception cref="CliException">It cannot be read, or holds more than 16 MiB.</exception>
    public static async Task<string> Read(string path, TextReader stdin, CancellationToken ct)
    {
        var name = path == "-" ? "stdin" : path;
        string? text;
        try
        {
            text = path == "-"
                ? await Capped(stdin, ct)
                : await Lethe.Hosts.CappedFile.Read(path, MaxBytes, ct) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {name}: {e.Message}");
        }
        return text ?? throw new CliException($"{name} is larger than {MaxBytes / (1024 * 1024)} MiB, more than any policy holds");
    }

    /// <summary>All of <paramref name="reader"/>; null once it holds more than the bound, counted in UTF-8 bytes as a file is.</summary>
    private static async Task<string?> Capped(TextReader reader, CancellationToken ct)
    {
        var text = new StringBuilder();
        var chunk = new char[81920];
        var bytes = 0L;
        int read;
        while ((read = await reader.ReadAsync(chunk, ct)) > 0)
        {
            bytes += Encoding.UTF8.GetByteCount(chunk, 0, read);
            if (bytes > MaxBytes)
            {
                return null;
            }
            text.Append(chunk, 0, read);
        }
        return text.ToString();
    }
}
