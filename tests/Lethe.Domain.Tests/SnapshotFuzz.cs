using System.Text;
using Lethe.Domain.Snapshots;

namespace Lethe.Domain.Tests;

/// <summary>
/// What the snapshot fuzz tests share: the input count and seed (deterministic by default, more
/// inputs off CI through the environment), the byte mutations, and the one rule every outcome
/// keeps: Verify gives back what was sealed, or refuses with a one-line reason, and nothing else.
/// </summary>
/// <remarks>
/// LETHE_SNAPSHOT_FUZZ_INPUTS multiplies each test's input count (default 1: the whole class runs
/// in a few seconds); LETHE_SNAPSHOT_FUZZ_SEED changes the seed (default 1).
/// </remarks>
internal static class SnapshotFuzz
{
    public static int Scale => int.TryParse(Environment.GetEnvironmentVariable("LETHE_SNAPSHOT_FUZZ_INPUTS"), out var n) && n > 0 ? n : 1;

    public static int Seed => int.TryParse(Environment.GetEnvironmentVariable("LETHE_SNAPSHOT_FUZZ_SEED"), out var s) ? s : 1;

    /// <summary>Bytes that break JSON, UTF-8 or base64 in interesting ways.</summary>
    private static readonly byte[][] Tokens =
    [
        "{"u8.ToArray(), "}"u8.ToArray(), "["u8.ToArray(), "]"u8.ToArray(), "\""u8.ToArray(), ","u8.ToArray(), ":"u8.ToArray(),
        "\\"u8.ToArray(), "\\u0000"u8.ToArray(), "\\ud800"u8.ToArray(), "null"u8.ToArray(), "true"u8.ToArray(), " "u8.ToArray(),
        "\n"u8.ToArray(), "="u8.ToArray(), "/"u8.ToArray(), "+"u8.ToArray(), "-"u8.ToArray(), "0"u8.ToArray(),
        "99999999999999999999999"u8.ToArray(), "1e400"u8.ToArray(), "-1"u8.ToArray(), ".5"u8.ToArray(),
        [0xEF, 0xBB, 0xBF], [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x00], [0x1B],
        "\u2028"u8.ToArray(), "\u202E"u8.ToArray(),
    ];

    /// <summary>One random mutation of <paramref name="bytes"/>, and its name for a failure message.</summary>
    public static (byte[] Bytes, string What) Mutate(Random random, byte[] bytes)
    {
        var at = bytes.Length == 0 ? 0 : random.Next(bytes.Length);
        switch (random.Next(9))
        {
            case 0:
                var flipped = bytes.ToArray();
                if (flipped.Length > 0)
                {
                    flipped[at] ^= (byte)(1 << random.Next(8));
                }
                return (flipped, $"bit flip at {at}");
            case 1:
                return (bytes[..at], $"truncated to {at}");
            case 2:
                var token = Tokens[random.Next(Tokens.Length)];
                return ([.. bytes[..at], .. token, .. bytes[at..]], $"inserted {Convert.ToHexString(token)} at {at}");
            case 3:
                var random1 = new byte[random.Next(1, 5)];
                random.NextBytes(random1);
                return ([.. bytes[..at], .. random1, .. bytes[at..]], $"inserted random {Convert.ToHexString(random1)} at {at}");
            case 4:
                var cut = random.Next(1, 40);
                return ([.. bytes[..at], .. bytes[Math.Min(bytes.Length, at + cut)..]], $"deleted {cut} at {at}");
            case 5:
                // A stretch of the file repeated elsewhere: a field, or half of one, given twice.
                var from = random.Next(bytes.Length + 1);
                var length = random.Next(Math.Min(200, bytes.Length - from) + 1);
                var to = random.Next(bytes.Length + 1);
                return ([.. bytes[..to], .. bytes.AsSpan(from, length), .. bytes[to..]], $"copied {length} from {from} to {to}");
            case 6:
                var replaced = bytes.ToArray();
                if (replaced.Length > 0)
                {
                    replaced[at] = (byte)random.Next(256);
                }
                return (replaced, $"byte {at} replaced");
            case 7:
                return ([0xEF, 0xBB, 0xBF, .. bytes], "UTF-8 BOM in front");
            default:
                string[] tails = [" ", "\n", "x", "{}", "\0", "]", "}"];
                var tail = tails[random.Next(tails.Length)];
                return ([.. bytes, .. Encoding.UTF8.GetBytes(tail)], $"trailing {Convert.ToHexString(Encoding.UTF8.GetBytes(tail))}");
        }
    }

    /// <summary>
    /// Runs Verify and checks its outcome: a refusal says why on one plain line; an acceptance is one
    /// of <paramref name="sealedOnes"/> (meaning: every signed field and the content bytes), never a mix.
    /// </summary>
    /// <returns>The snapshot it accepted, or null when refused.</returns>
    public static SealedSnapshot? Check(byte[] file, string pem, string what, params SealedSnapshot[] sealedOnes)
    {
        if (VerifiedOrRefused(file, pem, what) is not { } verified)
        {
            return null;
        }
        foreach (var sealedOne in sealedOnes)
        {
            if (SameMeaning(sealedOne, verified))
            {
                return sealedOne;
            }
        }
        Assert.Fail($"{what}: accepted a snapshot that was not sealed: {verified.Envelope}\nfile (base64): {Convert.ToBase64String(file)}");
        return null;
    }

    /// <summary>What Verify gives back, or null when it refused on one plain line saying why; any other exception fails the test.</summary>
    public static VerifiedSnapshot? VerifiedOrRefused(byte[] file, string pem, string what)
    {
        try
        {
            return SnapshotVerifier.Verify(file, pem);
        }
        catch (SnapshotVerificationException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message), $"{what}: refused without a reason");
            Assert.True(TerminalText.IsPlain(e.Message), $"{what}: the reason is not one plain line: {TerminalText.Safe(e.Message)}");
            return null;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name} instead of a refusal: {e.Message}\nfile (base64): {Convert.ToBase64String(file)}\nkey: {pem}");
            throw;
        }
    }

    /// <summary>
    /// The same snapshot: every field the signature covers, to the tick, and the same content bytes
    /// and policy. The base64 of the signature and content may be spelled otherwise (whitespace, or an
    /// ECDSA signature's other valid form), which changes nothing a firewall does.
    /// </summary>
    private static bool SameMeaning(SealedSnapshot sealedOne, VerifiedSnapshot verified)
    {
        var e = verified.Envelope;
        return e.Format == sealedOne.Format && e.Policy == sealedOne.Policy && e.Version == sealedOne.Version
            && e.LogPosition == sealedOne.LogPosition && e.SealedAt.UtcTicks == sealedOne.SealedAt.UtcTicks
            && e.SealedAt.Offset == sealedOne.SealedAt.Offset && e.ContentSha256 == sealedOne.ContentSha256 && e.KeyId == sealedOne.KeyId
            && verified.ContentBytes.AsSpan().SequenceEqual(Convert.FromBase64String(sealedOne.Content))
            && SnapshotCodec.ToBytes(verified.Content).AsSpan().SequenceEqual(Convert.FromBase64String(sealedOne.Content));
    }
}
