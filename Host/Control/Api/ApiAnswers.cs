namespace Lethe.Control.Api;

// Answers the endpoints shape themselves. Named records rather than anonymous objects: the OpenAPI
// document names a schema after its type, and an anonymous type's name lists its field types (it changed
// with every field added) and calls each string nullable.

/// <summary>A sealed version as GET /policies/{policy}/snapshots lists it.</summary>
public sealed record SnapshotListEntry(int Version, string ContentSha256, string KeyId, DateTimeOffset SealedAt, long LogPosition);

/// <summary>The public half of the control plane's signing key, for `snapshot verify --trust` and firewalls.</summary>
public sealed record SigningKey(string KeyId, string PublicKeyPem);
