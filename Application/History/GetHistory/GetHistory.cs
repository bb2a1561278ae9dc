using Lethe.Application.Common;
using Lethe.Application.Ports;
using Mediator;

namespace Lethe.Application.History.GetHistory;

/// <param name="Limit">At most this many entries, the newest of those asked for; every one when null.</param>
/// <param name="Before">Only entries older than this sequence (the cursor a page gives for the next one); the whole history when null.</param>
public sealed record GetHistory(string Policy, int? Limit = null, long? Before = null) : IQuery<HistoryPage>
{
    /// <summary>The largest page: a page is for reading; a script that wants everything leaves the limit out.</summary>
    public const int MaxLimit = 1000;
}

public sealed class GetHistoryHandler(IPolicyStore store) : IQueryHandler<GetHistory, HistoryPage>
{
    public async ValueTask<HistoryPage> Handle(GetHistory query, CancellationToken ct) =>
        await store.History(query.Policy, query.Limit, query.Before, ct)
        ?? throw UnknownPolicy.Named(query.Policy);
}
