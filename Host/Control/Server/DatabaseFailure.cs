namespace Lethe.Control.Server;

/// <summary>
/// Whether a request failed because PostgreSQL did (unreachable, a connection cut, a timeout, an
/// error of its own), however Marten wrapped it: the caller's request is not to blame, and a change
/// may have been committed with only its acknowledgement lost.
/// </summary>
public static class DatabaseFailure
{
    public static bool Is(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            // Npgsql's own timeouts (a command's, a connection's, an exhausted pool's) are NpgsqlExceptions too.
            if (e is Npgsql.NpgsqlException)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The control plane's own connection pool stayed full for its whole Timeout: too many requests at
    /// once (Max Pool Size) or queries held up in the database, which itself answers. Npgsql marks it by
    /// its message alone, a plain NpgsqlException around a TimeoutException.
    /// </summary>
    public static bool IsPoolExhausted(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.NpgsqlException { InnerException: TimeoutException } npgsql and not Npgsql.PostgresException
                && npgsql.Message.StartsWith("The connection pool has been exhausted", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// PostgreSQL answered but would not open another connection: its max_connections (the
    /// instances' pools together), or a role's or database's CONNECTION LIMIT, is reached. The
    /// operator's fix is a setting, not the network, so it is told apart from an outage.
    /// </summary>
    public static bool IsConnectionLimit(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.TooManyConnections })
            {
                return true;
            }
        }
        return false;
    }
}
