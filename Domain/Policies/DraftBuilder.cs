namespace Lethe.Domain.Policies;

/// <summary>
/// Folds a run of draft events into a draft in place. Folded one at a time into immutable drafts,
/// each event would copy its client's rules and look its client up among all clients, so a long
/// log, or one with thousands of clients, took seconds to fold; here a run costs one pass over
/// its events plus one copy of the clients it touched.
/// </summary>
internal sealed class DraftBuilder(DraftContent origin)
{
    // A single event (the inline projection folds one per change) looks its client up by a scan;
    // an index pays off from the second lookup on.
    private const int LookupsBeforeIndex = 1;

    private List<ClientDraft>? _clients;
    private List<List<DraftRule>?>? _rules;
    private Dictionary<string, int>? _index;
    private int _lookups;
    private List<PolicyTest>? _tests;

    /// <summary>Folds <paramref name="event"/> in if it changes the draft; false for any other event.</summary>
    public bool TryApply(object @event)
    {
        switch (@event)
        {
            case ClientAdded e:
                AddClient(new ClientDraft(e.Client, e.Addresses, []));
                return true;
            case ClientRemoved e:
                RemoveClient(e.Client);
                return true;
            case RuleAdded e:
                RulesOf(e.Client).Insert(e.Position, new DraftRule(e.RuleId, e.Rule));
                return true;
            case RuleRemoved e:
                RulesOf(e.Client).RemoveAll(r => r.Id == e.RuleId);
                return true;
            case RuleMoved e:
                var moving = RulesOf(e.Client);
                var rule = moving[e.From];
                moving.RemoveAt(e.From);
                moving.Insert(e.To, rule);
                return true;
            case RuleReplaced e:
                var replacing = RulesOf(e.Client);
                var i = replacing.FindIndex(r => r.Id == e.RuleId);
                replacing[i] = replacing[i] with { Rule = e.After };
                return true;
            case RulesImported e:
                var importing = RulesOf(e.Client);
                if (e.Replaced)
                {
                    importing.Clear();
                }
                importing.AddRange(e.Rules);
                return true;
            case PolicyTestAdded e:
                Tests().Add(e.Test);
                return true;
            case PolicyTestRemoved e:
                Tests().RemoveAll(t => t.Id == e.TestId);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The draft folded so far; <c>origin</c> itself when nothing changed it, and clients nothing touched keep their drafts.</summary>
    public DraftContent ToDraft()
    {
        if (_clients is null && _tests is null)
        {
            return origin;
        }
        var clients = origin.Clients;
        if (_clients is not null)
        {
            var built = new ClientDraft[_clients.Count];
            for (var c = 0; c < built.Length; c++)
            {
                built[c] = _rules![c] is { } rules ? _clients[c] with { Rules = rules.ToArray() } : _clients[c];
            }
            clients = built;
        }
        return new DraftContent(clients, _tests is null ? origin.Tests : _tests.ToArray());
    }

    private List<ClientDraft> Clients()
    {
        if (_clients is null)
        {
            _clients = new List<ClientDraft>(origin.Clients.Count + 1);
            _clients.AddRange(origin.Clients);
            _rules = new List<List<DraftRule>?>(_clients.Count + 1);
            for (var c = 0; c < _clients.Count; c++)
            {
                _rules.Add(null);
            }
        }
        return _clients;
    }

    private void AddClient(ClientDraft client)
    {
        var clients = Clients();
        clients.Add(client);
        _rules!.Add(null);
        // Where the log names a client twice, the first keeps the name, as a scan from the front finds.
        _index?.TryAdd(client.Name, clients.Count - 1);
    }

    private void RemoveClient(string name)
    {
        var clients = Clients();
        for (var c = clients.Count - 1; c >= 0; c--)
        {
            if (clients[c].Name == name)
            {
                clients.RemoveAt(c);
                _rules!.RemoveAt(c);
            }
        }
        _index = null;
    }

    private List<DraftRule> RulesOf(string name)
    {
        var clients = Clients();
        var at = Find(clients, name);
        if (at < 0)
        {
            throw new InvalidOperationException($"The log changes the rules of client {name}, which it has not added (or has removed).");
        }
        return _rules![at] ??= [.. clients[at].Rules];
    }

    private int Find(List<ClientDraft> clients, string name)
    {
        if (_index is null && _lookups++ < LookupsBeforeIndex)
        {
            for (var c = 0; c < clients.Count; c++)
            {
                if (clients[c].Name == name)
                {
                    return c;
                }
            }
            return -1;
        }
        if (_index is null)
        {
            _index = new Dictionary<string, int>(clients.Count, StringComparer.Ordinal);
            for (var c = 0; c < clients.Count; c++)
            {
                _index.TryAdd(clients[c].Name, c);
            }
        }
        return _index.TryGetValue(name, out var at) ? at : -1;
    }

    private List<PolicyTest> Tests() => _tests ??= [.. origin.Tests];
}
