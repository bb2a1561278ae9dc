namespace Lethe.Control.Tests;

/// <summary>
/// Tests that set the process's time zone run on their own, after the rest, so that no test running
/// beside them reads a local time in a zone it did not expect.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ZoneCollection
{
    public const string Name = "time zone";
}
