using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Lethe.Domain.Policies;
using Marten;
using Weasel.Core;

namespace Lethe.Infrastructure.Marten;

public static class LetheStoreOptions
{
    public const string Schema = "lethe";

    /// <summary>Every kind of event a policy's log holds.</summary>
    public static readonly Type[] EventTypes =
    [
        typeof(PolicyCreated), typeof(ClientAdded), typeof(ClientRemoved), typeof(RuleAdded), typeof(RuleRemoved),
        typeof(RuleMoved), typeof(RuleReplaced), typeof(RulesImported), typeof(PolicyTestAdded), typeof(PolicyTestRemoved),
        typeof(PolicyPublished), typeof(PublishConfirmed), typeof(PublishReverted), typeof(RevertAbandoned), typeof(PolicyRolledBack),
        typeof(DraftRestored),
    ];

    /// <summary>The names the store records <see cref="EventTypes"/> under, which the history answers as each entry's event.</summary>
    public static string[] EventNames(IDocumentStore store) =>
        EventTypes.Select(t => ((global::Marten.Events.EventGraph)store.Options.Events).EventMappingFor(t).EventTypeName).ToArray();

    /// <param name="createSchema">
    /// False in production: the schema comes only from the checked-in migrations (`lethe migrate`),
    /// so the running server never needs DDL rights.
    /// </param>
    public static void Configure(StoreOptions options, string connectionString, bool createSchema)
    {
        // The session's zone is the one PostgreSQL renders a time in where Marten reads it as text (a
        // projection: `snapshot list`'s sealedAt); its default is the server's, which initdb took from
        // the machine's. UTC, as every other time Lethe gives.
        options.Connection(new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Timezone = "UTC" }.ConnectionString);
        options.DatabaseSchemaName = Schema;
        options.AutoCreateSchemaObjects = createSchema ? AutoCreate.CreateOrUpdate : AutoCreate.None;
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);

        options.Events.StreamIdentity = StreamIdentity.AsString;
        options.Events.MetadataConfig.HeadersEnabled = true;
        options.Events.MetadataConfig.CorrelationIdEnabled = true;
        options.Events.MetadataConfig.CausationIdEnabled = true;
        options.Events.MetadataConfig.UserNameEnabled = true;
        options.Events.AddEventTypes(EventTypes);

        options.Projections.Add<PolicyDraftProjection>(ProjectionLifecycle.Inline);
        // The draft projection stores each policy's listing beside its draft (PolicyDraftProjection.RaiseSideEffects).
        options.Events.EnableSideEffectsOnInlineProjections = true;
        options.Schema.For<PolicyListing>().Identity(x => x.Id);
        options.Schema.For<SnapshotDocument>().Identity(x => x.Id).Index(x => x.Policy);
    }
}
