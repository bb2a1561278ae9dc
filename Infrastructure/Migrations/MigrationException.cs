namespace Lethe.Infrastructure.Migrations;

/// <summary>
/// The migrations cannot be applied as they are (<see cref="ApplyFailed"/> false: nothing was
/// applied), or a file failed on the database (true: that file was not applied, and the message
/// names it and any applied before it in the same run).
/// </summary>
public sealed class MigrationException(string message, bool applyFailed = false, Exception? inner = null) : Exception(message, inner)
{
    public bool ApplyFailed { get; } = applyFailed;
}
