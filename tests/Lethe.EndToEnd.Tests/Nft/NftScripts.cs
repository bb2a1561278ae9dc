using System.Net;
using System.Net.Sockets;
using Lethe.Domain.Evaluation;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;
using Lethe.Firewall.Nft;

namespace Lethe.EndToEnd.Tests.Nft;

/// <summary>Small snapshots built in code, the renderer's output cut into chains, and a reader of its rules.</summary>
internal static class NftScripts
{
    public const long Now = 1_800_000_000;

    public static SnapshotContent Policy(params (string Name, string[] Addresses, (string Id, string Rule)[] Rules)[] clients) =>
        new(SnapshotContent.CurrentFormat, "p",
            clients.Select(c => new SnapshotClient(c.Name, c.Addresses, c.Rules.Select(r => new SnapshotRule(r.Id, r.Rule)).ToArray())).ToArray());

    /// <summary>One client "work" (10.137.0.5, fd00:137::5) with these rules, ids r1, r2, ...</summary>
    public static SnapshotContent Work(params string[] rules) =>
        Policy(("work", ["10.137.0.5", "fd00:137::5"], rules.Select((r, i) => ($"r{i + 1}", r)).ToArray()));

    public static NftOptions Options(NftOptions? with = null) => with ?? new NftOptions { NowUnix = Now };

    public static Dictionary<string, IReadOnlyList<IPAddress>> Answers(params (string Name, string[] Addresses)[] answers) =>
        answers.ToDictionary(a => a.Name, a => (IReadOnlyList<IPAddress>)a.Addresses.Select(IPAddress.Parse).ToArray(), StringComparer.Ordinal);

    /// <summary>The rule lines of a chain (comments and blank lines left out), trimmed.</summary>
    public static string[] Chain(string script, string chain)
    {
        var lines = script.Split('\n');
        var start = Array.FindIndex(lines, l => l.Trim() == $"chain {chain} {{");
        Assert.True(start >= 0, $"no chain {chain} in:\n{script}");
        var body = new List<string>();
        for (var i = start + 1; lines[i].Trim() != "}"; i++)
        {
            var line = lines[i].Trim();
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                body.Add(line);
            }
        }
        return body.ToArray();
    }

    /// <summary>The named sets of a script (<c>set NAME { ... elements = { ... } }</c>) and their elements.</summary>
    public static Dictionary<string, string[]> Sets(string script)
    {
        var sets = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? name = null;
        foreach (var line in script.Split('\n').Select(l => l.Trim()))
        {
            if (line.StartsWith("set ", StringComparison.Ordinal) && line.EndsWith(" {", StringComparison.Ordinal))
            {
                name = line[4..^2];
                sets[name] = [];
            }
            else if (name is not null && line.StartsWith("elements = ", StringComparison.Ordinal))
            {
                sets[name] = Elements(line["elements = ".Length..]);
            }
            else if (line == "}")
            {
                name = null;
            }
        }
        return sets;
    }

    /// <summary>The comment lines of a chain, trimmed.</summary>
    public static string[] Comments(string script, string chain)
    {
        var lines = script.Split('\n');
        var start = Array.FindIndex(lines, l => l.Trim() == $"chain {chain} {{");
        var body = new List<string>();
        for (var i = start + 1; lines[i].Trim() != "}"; i++)
        {
            if (lines[i].Trim().StartsWith('#'))
            {
                body.Add(lines[i].Trim());
            }
        }
        return body.ToArray();
    }

    /// <summary>The rule lines of a client chain without the default drop at its end.</summary>
    public static string[] Rules(string script, string client = "work")
    {
        var chain = Chain(script, "client_" + client);
        Assert.EndsWith("comment \"default drop\"", chain[^1]);
        return chain[..^1];
    }

    /// <summary>What a rule line does when it matches: accept, drop, reject with ..., and its comment.</summary>
    public sealed record Outcome(string Verdict, string Comment);

    /// <summary>
    /// Runs a client chain of the renderer's output over the first packet of a flow, as the kernel would
    /// in the forward hook: first rule whose every match holds decides. Reads the subset the renderer writes.
    /// </summary>
    /// <param name="at">The kernel's clock when the packet passes (UNIX seconds), for <c>meta time</c>; the render time if not given.</param>
    /// <param name="sets">The script's named sets (<see cref="Sets"/>), for <c>@NAME</c>.</param>
    public static Outcome Run(IReadOnlyList<string> chain, FlowQuery flow, long at = Now, IReadOnlyDictionary<string, string[]>? sets = null)
    {
        foreach (var line in chain)
        {
            var tokens = Tokens(line);
            var i = 0;
            var matches = true;
            string? verdict = null;
            string comment = "";
            while (i < tokens.Count)
            {
                var t = tokens[i];
                switch (t)
                {
                    case "ip" or "ip6":
                    {
                        Assert.Equal("daddr", tokens[i + 1]);
                        var negate = tokens[i + 2] == "!=";
                        var operand = tokens[i + (negate ? 3 : 2)];
                        var set = operand.StartsWith('@') ? sets?.GetValueOrDefault(operand[1..]) ?? throw new InvalidOperationException($"no set {operand}")
                            : Elements(operand);
                        i += negate ? 4 : 3;
                        var familyMatches = flow.Destination.AddressFamily == (t == "ip" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6);
                        var inSet = familyMatches && set.Any(e => Prefix(e).Contains(flow.Destination));
                        matches &= familyMatches && (negate ? !inSet : inSet);
                        break;
                    }
                    case "meta":
                    {
                        var value = tokens[i + 2];
                        if (tokens[i + 1] == "time")
                        {
                            Assert.Equal("<", value);
                            matches &= at < long.Parse(tokens[i + 3]);
                            i += 4;
                            break;
                        }
                        if (tokens[i + 1] == "nfproto")
                        {
                            matches &= flow.Destination.AddressFamily == (value == "ipv4" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6);
                        }
                        else
                        {
                            Assert.Equal("l4proto", tokens[i + 1]);
                            matches &= flow.Protocol == value switch { "tcp" => 6, "udp" => 17, "icmp" => 1, "ipv6-icmp" => 58, _ => throw new InvalidOperationException(value) };
                        }
                        i += 3;
                        break;
                    }
                    case "tcp" or "udp":
                    {
                        Assert.Equal("dport", tokens[i + 1]);
                        var range = tokens[i + 2].Split('-');
                        var (low, high) = (int.Parse(range[0]), int.Parse(range[^1]));
                        matches &= flow.Protocol == (t == "tcp" ? 6 : 17) && flow.DestinationPort >= low && flow.DestinationPort <= high;
                        i += 3;
                        break;
                    }
                    case "icmp" or "icmpv6":
                    {
                        Assert.Equal("type", tokens[i + 1]);
                        var v6 = t == "icmpv6";
                        matches &= flow.Protocol == (v6 ? 58 : 1) &&
                            flow.Destination.AddressFamily == (v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork) &&
                            flow.IcmpType == int.Parse(tokens[i + 2]);
                        i += 3;
                        break;
                    }
                    case "counter":
                        i++;
                        break;
                    case "accept" or "drop":
                        verdict = t;
                        i++;
                        break;
                    case "reject":
                        verdict = string.Join(' ', tokens.Skip(i).TakeWhile(x => x != "comment"));
                        i += verdict.Split(' ').Length;
                        break;
                    case "comment":
                        comment = tokens[i + 1];
                        i += 2;
                        break;
                    default:
                        throw new InvalidOperationException($"the test reader does not know '{t}' in: {line}");
                }
            }
            Assert.NotNull(verdict);
            if (matches)
            {
                return new Outcome(verdict, comment);
            }
        }
        throw new InvalidOperationException("the chain has no rule that always matches");
    }

    private static Cidr Prefix(string text)
    {
        var slash = text.IndexOf('/');
        var address = IPAddress.Parse(slash < 0 ? text : text[..slash]);
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        return new Cidr(address, slash < 0 ? bits : int.Parse(text[(slash + 1)..]));
    }

    private static string[] Elements(string token) =>
        token.StartsWith('{') ? token.Trim('{', '}').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [token];

    /// <summary>Words, with a { ... } set and a "quoted string" each kept as one token (quotes removed).</summary>
    private static List<string> Tokens(string line)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < line.Length)
        {
            if (line[i] == ' ')
            {
                i++;
                continue;
            }
            int end;
            if (line[i] == '{')
            {
                end = line.IndexOf('}', i) + 1;
                tokens.Add(line[i..end]);
            }
            else if (line[i] == '"')
            {
                end = line.IndexOf('"', i + 1) + 1;
                tokens.Add(line[(i + 1)..(end - 1)]);
            }
            else
            {
                end = line.IndexOf(' ', i);
                end = end < 0 ? line.Length : end;
                tokens.Add(line[i..end]);
            }
            i = end;
        }
        return tokens;
    }
}
