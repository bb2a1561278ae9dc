using Lethe.Application.Ports;
using Lethe.Domain;
using Mediator;

namespace Lethe.Application.History.GetHistory;

public sealed record GetHistory(string Policy) : IQuery<IReadOnlyList<HistoryEntry>>;

public sealed class GetHistoryHandler(IPolicyStore store) : IQueryHandler<GetHistory, IReadOnlyList<HistoryEntry>>
{
    public async ValueTask<IReadOnlyList<HistoryEntry>> Handle(GetHistory query, CancellationToken ct)
    {
        var history = await store.History(query.Policy, ct);
        return history.Count > 0 ? history : throw new DomainException(Refusal.NotFound, $"There is no policy named {query.Policy}.");
    }
}
