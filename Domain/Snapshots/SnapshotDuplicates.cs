namespace Lethe.Domain.Snapshots;

/// <summary>
/// What a policy holds once, found twice in signed content: a client's name, or a rule's id (ids are the
/// policy's: the control plane refuses one that any client already holds). No control plane seals such
/// content, so one that verifies was signed by something else, and the firewall could not tell which
/// client or rule its logs, metrics and nft script mean.
/// </summary>
internal static class SnapshotDuplicates
{
    /// <summary>The first client name or rule id the content holds twice, named; null when there is none.</summary>
    /// <remarks>Run on content whose names and ids are plain (see <see cref="SnapshotVerifier"/>); quoted all the same.</remarks>
    public static string? First(SnapshotContent content)
    {
        // Sets, not pairs: a policy near the limits holds many thousands of rules.
        var clients = new HashSet<string>(content.Clients.Count, StringComparer.Ordinal);
        foreach (var client in content.Clients)
        {
            if (!clients.Add(client.Name))
            {
                return $"two clients are named {QuotedText.QuoteSafe(client.Name)}";
            }
        }
        var ruleClient = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var client in content.Clients)
        {
            foreach (var rule in client.Rules)
            {
                if (ruleClient.TryGetValue(rule.Id, out var first))
                {
                    return first == client.Name
                        ? $"client {QuotedText.QuoteSafe(client.Name)} holds two rules with id {QuotedText.QuoteSafe(rule.Id)}"
                        : $"rule id {QuotedText.QuoteSafe(rule.Id)} is in client {QuotedText.QuoteSafe(first)} and in client {QuotedText.QuoteSafe(client.Name)}";
                }
                ruleClient.Add(rule.Id, client.Name);
            }
        }
        return null;
    }
}
