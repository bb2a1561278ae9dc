using Lethe.Application.Ports;
using Mediator;

namespace Lethe.Application.Publishing.FindOverdue;

public sealed record FindOverdue : IQuery<IReadOnlyList<string>>;

public sealed class FindOverdueHandler(IPolicyStore store, TimeProvider clock) : IQueryHandler<FindOverdue, IReadOnlyList<string>>
{
    public async ValueTask<IReadOnlyList<string>> Handle(FindOverdue query, CancellationToken ct) => await store.Overdue(clock.GetUtcNow(), ct);
}
