namespace Lethe.Bench.FirewallFixtures;

/// <summary>
/// A policy written as text, for harnesses that keep their policy beside their topology (such as
/// bench/throughput/run): a line <c>client NAME ADDRESS...</c> starts a client, and every following
/// line up to the next <c>client</c> line is one of its rules, as <c>qvm-firewall --raw list</c>
/// prints them. Blank lines and lines starting with <c>#</c> are skipped. The control plane judges the
/// rules; this reader only splits the file.
/// </summary>
public static class PolicyFile
{
    public static IReadOnlyList<QubesClient> Read(string path)
    {
        var clients = new List<QubesClient>();
        string? name = null;
        string[] addresses = [];
        var rules = new List<string>();
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            if (line.StartsWith("client ", StringComparison.Ordinal))
            {
                Flush();
                var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length < 3)
                {
                    throw new FormatException($"{path}:{number}: expected 'client NAME ADDRESS...'");
                }
                (name, addresses, rules) = (words[1], words[2..], []);
                continue;
            }
            if (name is null)
            {
                throw new FormatException($"{path}:{number}: a rule before the first 'client NAME ADDRESS...' line");
            }
            rules.Add(line);
        }
        Flush();
        if (clients.Count == 0)
        {
            throw new FormatException($"{path}: no 'client NAME ADDRESS...' line");
        }
        return clients;

        void Flush()
        {
            if (name is not null)
            {
                clients.Add(new QubesClient(name, addresses, rules));
            }
        }
    }
}
