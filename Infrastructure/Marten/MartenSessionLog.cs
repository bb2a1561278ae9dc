using Marten;
using Marten.Services;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Lethe.Infrastructure.Marten;

/// <summary>
/// One session's commands. A write refused because something got there first (the stream moved on,
/// or the version was sealed meanwhile: another write, or an earlier try of the same one whose answer
/// a cut connection lost) is one information line: that try applied nothing. Any other failure is an error with the SQL and the exception, but not the
/// parameters, which hold policy content. Each failure is written once, although Marten reports it
/// for every command of the batch it broke.
/// </summary>
public sealed class MartenSessionLog(ILogger logger) : IMartenSessionLogger
{
    /// <summary>Raised by Marten's append function when the stream is not at the version the writer read.</summary>
    private const string StreamVersionMismatch = "MT003";

    private Exception? _written;

    public void LogSuccess(NpgsqlCommand command) => logger.LogDebug("Marten ran {Sql}", command.CommandText);

    public void LogSuccess(NpgsqlBatch batch) => logger.LogDebug("Marten ran a batch of {Count} command(s)", batch.BatchCommands.Count);

    public void LogFailure(NpgsqlCommand command, Exception ex) => Failed(command.CommandText, ex);

    public void LogFailure(NpgsqlBatch batch, Exception ex) =>
        Failed(batch.BatchCommands.Count > 0 ? batch.BatchCommands[0].CommandText : "", ex);

    public void LogFailure(Exception ex, string message)
    {
        if (Once(ex))
        {
            logger.LogError(ex, "Marten: {Message}", message);
        }
    }

    public void RecordSavedChanges(IDocumentSession session, IChangeSet commit)
    {
        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }
        logger.LogDebug("Marten saved {Events} event(s), {Inserted} inserted, {Updated} updated and {Deleted} deleted document(s)",
            commit.GetEvents().Count(), commit.Inserted.Count(), commit.Updated.Count(), commit.Deleted.Count());
    }

    public void OnBeforeExecute(NpgsqlCommand command)
    {
    }

    public void OnBeforeExecute(NpgsqlBatch batch)
    {
    }

    private void Failed(string sql, Exception ex)
    {
        if (!Once(ex))
        {
            return;
        }
        if (LostRace(ex) is { } postgres)
        {
            // Not "raced another" alone: after a connection cut just past a COMMIT, the try that
            // meets this is a retry of a write that was made and whose answer was lost.
            logger.LogInformation("A write was refused because what it read had moved on ({SqlState}: {Reason}), by another write or by an earlier try of this one whose answer was lost; this try applied nothing (the request is decided again, or gets 409 or 503)",
                postgres.SqlState, postgres.MessageText);
            return;
        }
        logger.LogError(ex, "Marten failed running {Sql}", sql);
    }

    private bool Once(Exception ex)
    {
        if (ReferenceEquals(ex, _written))
        {
            return false;
        }
        _written = ex;
        return true;
    }

    /// <remarks>
    /// A unique key of Marten's own tables (mt_events, mt_streams, a document's id) broken by a write
    /// is the other form of the same race: two appends of one version, or two seals of one snapshot.
    /// </remarks>
    private static PostgresException? LostRace(Exception ex) =>
        (ex as PostgresException ?? ex.InnerException as PostgresException) is { } postgres
        && (postgres.SqlState == StreamVersionMismatch
            || postgres.SqlState == PostgresErrorCodes.UniqueViolation && postgres.TableName?.StartsWith("mt_", StringComparison.Ordinal) == true)
            ? postgres
            : null;
}
