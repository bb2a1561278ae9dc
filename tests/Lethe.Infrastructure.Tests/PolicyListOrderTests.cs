using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Lethe.Infrastructure.Marten;
using Lethe.TestSupport;
using Marten;

namespace Lethe.Infrastructure.Tests;

/// <summary>`lethe policy list` lists the same policies in the same order on every server, whatever its database's collation.</summary>
public sealed class PolicyListOrderTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private DocumentStore _store = null!;

    public async Task InitializeAsync()
    {
        // ICU's en-US puts '_' before '-' and both before digits and letters; ordinal puts '-' first and '_' after digits.
        _database = await TestDatabase.Create(icuLocale: "en-US");
        _store = DocumentStore.For(o => LetheStoreOptions.Configure(o, _database.ConnectionString, createSchema: false));
    }

    public async Task DisposeAsync()
    {
        _store.Dispose();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task policies_are_listed_by_name_in_ordinal_order_on_a_database_with_a_language_collation()
    {
        string[] names = ["web", "net_b", "net-c", "net0", "neta"];
        foreach (var name in names)
        {
            await using var session = _store.LightweightSession();
            await new MartenPolicyStore(session).Create(new PolicyCreated(name), new AuditStamp("a", "r", "c"), default);
        }

        await using var query = _store.LightweightSession();
        var listed = await new MartenPolicyStore(query).List(default);

        Assert.Equal(names.Order(StringComparer.Ordinal), listed.Select(p => p.Name));
    }
}
