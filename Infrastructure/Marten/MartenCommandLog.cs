using Marten;
using Microsoft.Extensions.Logging;

namespace Lethe.Infrastructure.Marten;

/// <summary>
/// What Marten reports about the SQL it runs, written to <paramref name="logger"/>. Marten's own
/// logger writes every failed command as an error with its stack trace and parameters, three times
/// for one refused write, so an ordinary 409 (two editors racing) looked like a server fault in the
/// log; see <see cref="MartenSessionLog"/> for what this one writes instead.
/// </summary>
public sealed class MartenCommandLog(ILogger logger) : IMartenLogger
{
    public IMartenSessionLogger StartSession(IQuerySession session) => new MartenSessionLog(logger);

    public void SchemaChange(string sql) => logger.LogInformation("Marten changed the schema:\n{Sql}", sql);
}
