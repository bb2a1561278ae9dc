using Lethe.Application.Ports;
using Mediator;

namespace Lethe.Application.Publishing.FindOverdue;

public sealed record FindOverdue : IQuery<IReadOnlyList<string>>;

public sealed class FindOverdueHandler(IPolicyStore store, ConfirmationDeadlines deadlines) : IQueryHandler<FindOverdue, IReadOnlyList<string>>
{
    public async ValueTask<IReadOnlyList<string>> Handle(FindOverdue query, CancellationToken ct)
    {
        var pending = await store.Pending(ct);
        deadlines.KeepOnly(pending);
        // Longest overdue first.
        return pending.Where(deadlines.IsOverdue).OrderBy(p => p.ConfirmBy).ThenBy(p => p.Policy, StringComparer.Ordinal)
            .Select(p => p.Policy).ToArray();
    }
}
