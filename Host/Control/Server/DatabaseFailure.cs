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
}
