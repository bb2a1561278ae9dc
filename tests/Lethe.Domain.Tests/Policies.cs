using Lethe.Domain.Policies;

namespace Lethe.Domain.Tests;

/// <summary>Builds policies the way the application does: decide, then fold the event in.</summary>
internal static class Policies
{
    public static readonly DateTimeOffset Noon = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public static Policy New() => Policy.Start(Policy.Open("p"));

    public static Policy Then(this Policy policy, Func<Policy, object> decide) => policy.Fold(decide(policy));

    public static Policy WithClient(this Policy policy, string name, params string[] addresses) =>
        policy.Then(p => p.AddClient(name, addresses));

    public static Policy WithRule(this Policy policy, string client, string id, string rule, int? position = null) =>
        policy.Then(p => p.AddRule(client, id, RuleText.Parse(rule), position));

    /// <summary>Appends one rule per id; each reads action=accept dst4=192.0.2.N/32, N counting from 1.</summary>
    public static Policy WithRules(this Policy policy, string client, params string[] ids) =>
        ids.Select((id, i) => (id, i)).Aggregate(policy, (p, x) => p.WithRule(client, x.id, $"action=accept dst4=192.0.2.{x.i + 1}/32"));

    public static Policy Work() => New().WithClient("work", "10.137.0.10");

    public static IReadOnlyList<string> RuleIds(this Policy policy, string client) =>
        policy.Draft.FindClient(client)!.Rules.Select(r => r.Id).ToArray();

    public static string TextOf(this Policy policy, string ruleId)
    {
        var (client, index) = policy.Draft.FindRule(ruleId)!.Value;
        return client.Rules[index].Rule;
    }

    public static string Sha(this Policy policy) => policy.SealableContent().Sha256;

    public static Policy Published(this Policy policy, DateTimeOffset? at = null, TimeSpan? confirmWithin = null) =>
        policy.Then(p => p.Publish(p.Sha(), at ?? Noon, confirmWithin, []));
}
