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
    public static byte[] Bytes(SealedSnapshot envelope)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(envelope.Format);
            writer.WriteStringValue(envelope.Policy);
            writer.WriteNumberValue(envelope.Version);
            writer.WriteNumberValue(envelope.LogPosition);
            writer.WriteNumberValue(envelope.SealedAt.ToUnixTimeMilliseconds());
            writer.WriteStringValue(envelope.ContentSha256);
            writer.WriteStringValue(envelope.KeyId);
            writer.WriteEndArray();
        }
        return buffer.ToArray();
    }
}
