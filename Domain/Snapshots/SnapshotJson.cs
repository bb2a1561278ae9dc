using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lethe.Domain.Snapshots;

// Source-generated so that the NativeAOT firewall can read snapshots without reflection.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SnapshotContent))]
[JsonSerializable(typeof(SealedSnapshot))]
internal sealed partial class SnapshotJson : JsonSerializerContext;
