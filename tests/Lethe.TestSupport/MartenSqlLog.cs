using System.Collections.Concurrent;
using Marten;
using Marten.Services;
using Npgsql;

namespace Lethe.TestSupport;

/// <summary>
/// The text of every command Marten runs, batched or not, as it is sent: what tests of a read's cost
/// assert on (which tables it touches, whether it is bounded). As a store's logger or one session's.
/// </summary>
public sealed class MartenSqlLog : IMartenLogger, IMartenSessionLogger
{
    public ConcurrentQueue<string> Commands { get; } = new();

    /// <summary>Reads of the events' table: a stream fetched, whole or in part.</summary>
    public int StreamReads
    {
        get
        {
            var reads = 0;
            foreach (var command in Commands)
            {
                if (command.TrimStart().StartsWith("select", StringComparison.OrdinalIgnoreCase) && command.Contains("mt_events", StringComparison.Ordinal))
                {
                    reads++;
                }
            }
            return reads;
        }
    }

    public IMartenSessionLogger StartSession(IQuerySession session) => this;

    public void SchemaChange(string sql)
    {
    }

    public void OnBeforeExecute(NpgsqlCommand command) => Commands.Enqueue(command.CommandText);

    public void OnBeforeExecute(NpgsqlBatch batch)
    {
        foreach (var command in batch.BatchCommands)
        {
            Commands.Enqueue(command.CommandText);
        }
    }

    public void LogSuccess(NpgsqlCommand command)
    {
    }

    public void LogSuccess(NpgsqlBatch batch)
    {
    }

    public void LogFailure(NpgsqlCommand command, Exception ex)
    {
    }

    public void LogFailure(NpgsqlBatch batch, Exception ex)
    {
    }

    public void LogFailure(Exception ex, string message)
    {
    }

    public void RecordSavedChanges(IDocumentSession session, IChangeSet commit)
    {
    }
}
