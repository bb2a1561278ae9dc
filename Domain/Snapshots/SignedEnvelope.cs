using System.Text.Json;

namespace Lethe.Domain.Snapshots;

/// <summary>
/// The bytes a snapshot's signature covers: every field of the envelope but the signature, with
/// the content stood for by its hash. The content itself carries no version (so that a rollback
/// reproduces its bytes exactly); signing the envelope as well is what keeps anyone from relabelling
/// an old, validly signed snapshot as a newer version, which a firewall would swap in.
/// </summary>
/// <remarks>
/// A JSON array written field by field: unambiguous whatever the strings hold, and the same bytes
/// on every machine. The time is whole milliseconds since the Unix epoch, which is what
/// <see cref="SnapshotSealer"/> keeps, so the envelope's own time always gives the same number.
/// </remarks>
public static class SignedEnvelope
{
    public static byte[] Bytes(SealedSnapshot envelope) =>
        Bytes(envelope.Format, envelope.Policy, envelope.Version, envelope.LogPosition, envelope.SealedAt, envelope.ContentSha256, envelope.KeyId);

    public static byte[] Bytes(string format, string policy, int version, long logPosition, DateTimeOffset sealedAt, string contentSha256, string keyId)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(format);
            writer.WriteStringValue(policy);
            writer.WriteNumberValue(version);
            writer.WriteNumberValue(logPosition);
            writer.WriteNumberValue(sealedAt.ToUnixTimeMilliseconds());
            writer.WriteStringValue(contentSha256);
            writer.WriteStringValue(keyId);
            writer.WriteEndArray();
        }
        return buffer.ToArray();
    }
}
