using System.Text;

namespace Lethe.Domain.Snapshots;

/// <summary>
/// A PEM key file's bytes as text, decoded as File.ReadAllText decodes a file: by its byte-order mark
/// when it has one (UTF-8, or UTF-16 as Windows PowerShell 5's redirection writes), else as UTF-8.
/// A key read in bounded pieces must be decoded so too: left in, a mark hides the key from .NET's PEM
/// reader, and UTF-16 read as UTF-8 holds no "PRIVATE KEY" at all.
/// </summary>
public static class KeyText
{
    public static string Of(byte[] bytes, int length)
    {
        using var reader = new StreamReader(new MemoryStream(bytes, 0, length, writable: false), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }
}
