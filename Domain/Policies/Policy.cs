using Lethe.Domain.Evaluation;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;

namespace Lethe.Domain.Policies;

/// <summary>
/// The draft of one policy, folded from its event stream. Deciding methods never change it: they
/// return the events that record the change, and <see cref="Fold"/> folds them in.
/// </summary>
public sealed record Policy(string Id, DraftContent Draft, PublishState Publishing)
{
    /// <summary>The stream version this state was folded up to; what If-Match compares with.</summary>
    public long Version { get; init; }

    public string Name => Id;

    public static PolicyCreated Open(string name) => new(name);

    // ---- clients -------------------------------------------------------------------------

    public ClientAdded AddClient(string name, IReadOnlyList<string> addresses)
    {
        if (Draft.FindClient(name) is not null)
        {
            throw new DomainException(Refusal.Conflict, $"Policy {Id} already has a client named {name}.");
        }
        DraftLimits.RequireRoomForClients(Id, Draft.Clients.Count + 1, $"Adding client {name}");
        var parsed = addresses.Select(a => RuleParser.ParseAddress(a)
            ?? throw new DomainException(Refusal.Unprocessable, $"'{a}' is not an IPv4 or IPv6 address.")).ToArray();
        foreach (var address in parsed)
        {
            if (ClientAddresses.Unusable(address) is { } why)
            {
                throw new DomainException(Refusal.Unprocessable, $"{address} cannot be a client's address: {why}.");
            }
        }
        // Sets, not pairs: a client of thousands of addresses must not cost millions of comparisons.
        var given = new HashSet<System.Net.IPAddress>(parsed.Length);
        foreach (var address in parsed)
        {
            if (!given.Add(address))
            {
                throw new DomainException(Refusal.Unprocessable, $"Address {address} is given twice.");
            }
        }
        foreach (var other in Draft.Clients)
        {
            foreach (var address in other.Addresses)
            {
                if (RuleParser.ParseAddress(address) is { } held && given.Contains(held))
                {
                    throw new DomainException(Refusal.Conflict, $"Address {address} already belongs to client {other.Name}.");
                }
            }
        }
        return new ClientAdded(name, parsed.Select(p => p.ToString()).ToArray());
    }

    public ClientRemoved RemoveClient(string name)
    {
        var client = RequireClient(name);
        var tests = Draft.Tests.Where(t => t.Client == name).Select(t => t.Id).ToArray();
        if (tests.Length > 0)
        {
            throw new DomainException(Refusal.Unprocessable,
                $"Client {name} is named by policy tests {string.Join(", ", tests)}; remove them first.");
        }
        // What went with it, so the history can say where its rules went.
        return new ClientRemoved(name, client.Addresses, client.Rules.Select(r => r.Id).ToArray());
    }

    // ---- rules ---------------------------------------------------------------------------

    /// <param name="position">0-based; null appends. The rule at that position and after move down.</param>
    public RuleAdded AddRule(string clientName, string ruleId, Rule rule, int? position)
    {
        var client = RequireClient(clientName);
        RequireFreshRuleId(ruleId);
        DraftLimits.RequireRoomForRules(Id, clientName, client.Rules.Count + 1, "Adding the rule");
        var at = position ?? client.Rules.Count;
        if (at < 0 || at > client.Rules.Count)
        {
            throw new DomainException(Refusal.Unprocessable,
                $"Position {at} is out of range: client {clientName} has {RuleCount(client.Rules.Count)}, so a new rule goes at {(client.Rules.Count == 0 ? "0" : $"0 to {client.Rules.Count}")}.");
        }
        return new RuleAdded(clientName, ruleId, rule.ToString(), at);
    }

    /// <summary>"1 rule", "3 rules": a refusal reads as a sentence.</summary>
    private static string RuleCount(int count) => count == 1 ? "1 rule" : $"{count} rules";

    public RuleRemoved RemoveRule(string ruleId)
    {
        var (client, index) = RequireRule(ruleId);
        return new RuleRemoved(client.Name, ruleId, client.Rules[index].Rule);
    }

    public RuleMoved MoveRule(string ruleId, int position)
    {
        var (client, index) = RequireRule(ruleId);
        if (position < 0 || position >= client.Rules.Count)
        {
            throw new DomainException(Refusal.Unprocessable,
                $"Position {position} is out of range: client {client.Name} has {RuleCount(client.Rules.Count)} ({(client.Rules.Count == 1 ? "position 0" : $"positions 0 to {client.Rules.Count - 1}")}).");
        }
        if (position == index)
        {
            throw new DomainException(Refusal.Unprocessable, $"Rule {ruleId} is already at position {position}.");
        }
        return new RuleMoved(client.Name, ruleId, index, position);
    }

    public RuleReplaced ReplaceRule(string ruleId, Rule rule)
    {
        var (client, index) = RequireRule(ruleId);
        var before = client.Rules[index].Rule;
        var after = rule.ToString();
        if (before == after)
        {
            // A stored rule may carry a comment of thousands of characters: quote its start and length, not all of it.
            throw new DomainException(Refusal.Unprocessable, $"Rule {ruleId} already reads {QuotedText.Quote(after)}.");
        }
        return new RuleReplaced(client.Name, ruleId, before, after);
    }

    public RulesImported ImportRules(string clientName, IReadOnlyList<DraftRule> rules, bool replace)
    {
        var client = RequireClient(clientName);
        DraftLimits.RequireRoomForRules(Id, clientName, replace ? rules.Count : client.Rules.Count + rules.Count,
            $"The import of {rules.Count} rule(s){(replace ? " in place of the client's" : "")}");
        // Sets, built once: an import of thousands into a policy of many thousands must not cost their product.
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var other in Draft.Clients)
        {
            // With replace, the client's own rules go away first, so their ids may come back.
            if (!(replace && other.Name == client.Name))
            {
                taken.UnionWith(other.Rules.Select(r => r.Id));
            }
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (!seen.Add(rule.Id))
            {
                throw new DomainException(Refusal.Conflict, $"The import gives rule id {rule.Id} twice.");
            }
            if (taken.Contains(rule.Id))
            {
                throw new DomainException(Refusal.Conflict, $"Policy {Id} already has a rule with id {rule.Id}.");
            }
        }
        if (rules.Count == 0)
        {
            // With replace, an empty file (a failed `qvm-firewall ... > file`, say) would delete every rule without a word.
            throw new DomainException(Refusal.Unprocessable, replace
                ? $"The import holds no rules; with replace it would remove all {client.Rules.Count} rule(s) of {clientName}. Remove them one by one if that is meant."
                : "The import holds no rules.");
        }
        return new RulesImported(clientName, replace, rules, replace ? client.Rules.Select(r => r.Id).ToArray() : null);
    }

    // ---- policy tests --------------------------------------------------------------------

    public PolicyTestAdded AddTest(PolicyTest test)
    {
        RequireClient(test.Client);
        if (Draft.Tests.Any(t => t.Id == test.Id))
        {
            throw new DomainException(Refusal.Conflict, $"Policy {Id} already has a test {test.Id}.");
        }
        DraftLimits.RequireRoomForTests(Id, test.Client, Draft.Tests.Count(t => t.Client == test.Client) + 1);
        return new PolicyTestAdded(test);
    }

    public PolicyTestRemoved RemoveTest(string testId)
    {
        var test = Draft.Tests.FirstOrDefault(t => t.Id == testId)
            ?? throw new DomainException(Refusal.Unprocessable, $"Policy {Id} has no test {QuotedText.Name(testId)}.");
        return new PolicyTestRemoved(testId, test);
    }

    // ---- publishing ----------------------------------------------------------------------

    /// <summary>The draft as it would be sealed now, and its content hash.</summary>
    public (byte[] Bytes, string Sha256) SealableContent()
    {
        var bytes = SnapshotCodec.ToBytes(SnapshotCodec.FromDraft(Id, Draft));
        return (bytes, SnapshotCodec.Sha256Hex(bytes));
    }

    /// <param name="resealing">
    /// The latest version was signed with another key than the control plane's now, or sealed in a
    /// format firewalls no longer boot: its content may be sealed again unchanged, so that firewalls
    /// given only the new key, or of the new build, can boot it.
    /// </param>
    /// <param name="keyId">The key that will sign the snapshot, recorded so the history can say when it changed.</param>
    public PolicyPublished Publish(string contentSha256, DateTimeOffset now, TimeSpan? confirmWithin, IReadOnlyList<PolicyTestResult> testResults,
        bool resealing = false, string? keyId = null)
    {
        if (contentSha256 == Publishing.LatestContentSha256 && !resealing)
        {
            throw new DomainException(Refusal.Conflict,
                $"The draft of policy {Id} is identical to version {Publishing.LatestVersion}; nothing to publish.");
        }
        if (Publishing.PendingVersion is { } pending && IsOverdue(now))
        {
            throw new DomainException(Refusal.Conflict,
                $"Version {pending} of policy {Id} was not confirmed by {Publishing.ConfirmBy:u} and is being reverted to version {Publishing.ConfirmedVersion}; publish once the revert is in the history.");
        }
        if (Publishing.PendingVersion is { } waiting)
        {
            // Publishing over it would make it stay without anyone confirming it, and lose the version to return to.
            throw new DomainException(Refusal.Conflict,
                $"Version {waiting} of policy {Id} waits for confirmation until {Publishing.ConfirmBy:u}: confirm it (lethe confirm {Id}) or let it revert to version {Publishing.ConfirmedVersion}, then publish.");
        }
        var failures = testResults.Where(r => !r.Passed).ToArray();
        if (failures.Length > 0)
        {
            throw new PolicyTestsFailedException(Id, failures);
        }
        if (confirmWithin is not null && Publishing.ConfirmedVersion == 0)
        {
            throw new DomainException(Refusal.Unprocessable,
                $"Policy {Id} has no confirmed version to return to; publish it once without --confirm-within first.");
        }
        return new PolicyPublished(Publishing.LatestVersion + 1, contentSha256, Version, now + confirmWithin, keyId);
    }

    /// <param name="version">The version the caller means to keep; null for whichever waits.</param>
    public PublishConfirmed Confirm(DateTimeOffset now, int? version = null)
    {
        if (Publishing.PendingVersion is not { } pending)
        {
            throw new DomainException(Refusal.Conflict, $"Policy {Id} has no publish waiting for confirmation.");
        }
        if (version is { } meant && meant != pending)
        {
            // Someone published since the caller tested: keeping that one would keep what nobody tested.
            throw new DomainException(Refusal.Conflict,
                $"Version {pending} of policy {Id} waits for confirmation, not version {meant}: it was published since; test it, then confirm it.");
        }
        if (IsOverdue(now))
        {
            // Too late is too late, even before the watchdog has acted: the operator may have lost access.
            throw new DomainException(Refusal.Conflict,
                $"Version {pending} of policy {Id} had to be confirmed by {Publishing.ConfirmBy:u}; it is being reverted to version {Publishing.ConfirmedVersion}.");
        }
        return new PublishConfirmed(pending);
    }

    public bool IsOverdue(DateTimeOffset now) => Publishing is { PendingVersion: not null, ConfirmBy: { } by } && by <= now;

    public PublishReverted RevertUnconfirmed(DateTimeOffset now, string restoredSha256, DraftContent restored, string? keyId = null)
    {
        if (Publishing.PendingVersion is not { } pending || !IsOverdue(now))
        {
            throw new DomainException(Refusal.Conflict, $"Policy {Id} has no overdue unconfirmed publish.");
        }
        return new PublishReverted(Publishing.LatestVersion + 1, pending, Publishing.ConfirmedVersion, restoredSha256, Version, restored, keyId);
    }

    /// <param name="why">What of the confirmed version this build cannot read, a phrase that follows "version K".</param>
    public RevertAbandoned AbandonRevert(DateTimeOffset now, string why)
    {
        if (Publishing.PendingVersion is not { } pending || !IsOverdue(now))
        {
            throw new DomainException(Refusal.Conflict, $"Policy {Id} has no overdue unconfirmed publish.");
        }
        return new RevertAbandoned(pending, Publishing.ConfirmedVersion, why);
    }

    public PolicyRolledBack RollBack(int toVersion, string contentSha256, DraftContent restored, string? keyId = null)
    {
        if (toVersion < 1 || toVersion > Publishing.LatestVersion)
        {
            throw new DomainException(Refusal.Unprocessable,
                $"Policy {Id} has versions 1 to {Publishing.LatestVersion}; there is no version {toVersion}.");
        }
        if (contentSha256 == Publishing.LatestContentSha256)
        {
            throw new DomainException(Refusal.Conflict,
                $"Version {toVersion} of policy {Id} has the same content as the latest version {Publishing.LatestVersion}; nothing to roll back" +
                (toVersion == Publishing.LatestVersion ? "." : $" (to discard the draft's unpublished changes, roll back to version {Publishing.LatestVersion})."));
        }
        return new PolicyRolledBack(Publishing.LatestVersion + 1, toVersion, contentSha256, Version, restored, keyId);
    }

    /// <summary>
    /// A rollback to the latest version: firewalls already run its content, so sealing it again would only
    /// make them swap and reset its counters. What differs is the draft, which goes back to what that
    /// version sealed (<paramref name="restored"/>, the log's own), as Juniper's `rollback 0` discards
    /// uncommitted changes; a rule removed and added back by mistake gets its id back.
    /// </summary>
    public DraftRestored RestoreDraft(DateTimeOffset now, int toVersion, DraftContent restored)
    {
        if (toVersion != Publishing.LatestVersion || toVersion < 1)
        {
            throw new DomainException(Refusal.Unprocessable,
                $"Only the draft of the latest version of policy {Id} ({Publishing.LatestVersion}) is restored without a publish, not version {toVersion}'s.");
        }
        if (Publishing.PendingVersion is { } pending && IsOverdue(now))
        {
            // The revert puts the confirmed version's draft back over it, and no confirm is taken any more:
            // restored, the answer could only say the version still awaits a confirmation that is refused.
            throw new DomainException(Refusal.Conflict,
                $"Version {pending} of policy {Id} was not confirmed by {Publishing.ConfirmBy:u} and is being reverted to version {Publishing.ConfirmedVersion}, " +
                $"whose draft comes back with it; roll back once the revert is in the history.");
        }
        if (Draft.SameAs(restored))
        {
            throw new DomainException(Refusal.Conflict,
                $"The draft of policy {Id} is already as version {toVersion} left it; nothing to roll back.");
        }
        // Only a version sealed before publish checked the limits holds such a draft; restoring it would leave one no version can be published from.
        DraftLimits.RequireWithin(Id, restored, $"Restoring the draft of version {toVersion}");
        return new DraftRestored(toVersion, restored);
    }

    // ---- folding -------------------------------------------------------------------------

    public static Policy Start(PolicyCreated created) => new(created.Policy, DraftContent.Empty, PublishState.Unpublished);

    public Policy Fold(object @event) => FoldAll([@event]);

    /// <summary>
    /// Folds <paramref name="events"/> in order. Each run of draft changes between two publishing
    /// events is folded in one pass (<see cref="DraftBuilder"/>), so a whole log folds in time linear in
    /// its length rather than in its length times the policy's size.
    /// </summary>
    public Policy FoldAll(IEnumerable<object> events)
    {
        var policy = this;
        DraftBuilder? draft = null;
        foreach (var @event in events)
        {
            draft ??= new DraftBuilder(policy.Draft);
            if (draft.TryApply(@event))
            {
                continue;
            }
            policy = policy.WithDraft(draft.ToDraft()).FoldPublishing(@event);
            draft = null;
        }
        return draft is null ? policy : policy.WithDraft(draft.ToDraft());
    }

    private Policy FoldPublishing(object @event) => @event switch
    {
        PolicyPublished e => this with
        {
            Publishing = e.ConfirmBy is null
                ? new PublishState(e.Version, e.ContentSha256, e.Version, null, null)
                : Publishing with { LatestVersion = e.Version, LatestContentSha256 = e.ContentSha256, PendingVersion = e.Version, ConfirmBy = e.ConfirmBy },
        },
        PublishConfirmed e => this with { Publishing = Publishing with { ConfirmedVersion = e.Version, PendingVersion = null, ConfirmBy = null } },
        RevertAbandoned e => this with { Publishing = Publishing with { ConfirmedVersion = e.Version, PendingVersion = null, ConfirmBy = null } },
        PublishReverted e => new Policy(Id, e.Restored, new PublishState(e.Version, e.ContentSha256, e.Version, null, null)) { Version = Version },
        PolicyRolledBack e => new Policy(Id, e.Restored, new PublishState(e.Version, e.ContentSha256, e.Version, null, null)) { Version = Version },
        DraftRestored e => this with { Draft = e.Restored },
        _ => this,
    };

    private Policy WithDraft(DraftContent draft) => ReferenceEquals(draft, Draft) ? this : this with { Draft = draft };

    private ClientDraft RequireClient(string name) =>
        Draft.FindClient(name) ?? throw new DomainException(Refusal.Unprocessable,
            $"Policy {Id} has no client named {name} (clients: {(Draft.Clients.Count == 0 ? "none" : string.Join(", ", Draft.Clients.Select(c => c.Name)))}).");

    private (ClientDraft Client, int Index) RequireRule(string ruleId) =>
        Draft.FindRule(ruleId) ?? throw new DomainException(Refusal.Unprocessable, $"Policy {Id} has no rule with id {QuotedText.Name(ruleId)}.");

    private void RequireFreshRuleId(string ruleId)
    {
        if (Draft.FindRule(ruleId) is not null)
        {
            throw new DomainException(Refusal.Conflict, $"Policy {Id} already has a rule with id {ruleId}.");
        }
    }
}
