using System.Net;
using System.Text;
using Lethe.Domain.Rules;

namespace Lethe.Domain.Tests;

/// <summary>
/// Rule text for the fuzz tests: valid rules over every key, each with the <see cref="Rule"/> it means, and
/// mutations of them (characters deleted, inserted or duplicated, pairs swapped or repeated, keys renamed,
/// control characters, look-alikes, lone surrogates, numbers past every width, long runs), all from a seeded
/// <see cref="Random"/> so a failure repeats. Also linked into the Application tests, which fuzz whole imports.
/// </summary>
internal static class RuleMutations
{
    /// <summary>The "now" a relative expire is added to; far enough from the end of 9999 that a generated one always fits.</summary>
    public const long Now = 1_700_000_000;

    public const long MaxExpire = 253_402_300_799;

    public static readonly string[] Keys =
        ["action", "expire", "dst4", "dst6", "dsthost", "dstname", "proto", "specialtarget", "dstports", "icmptype", "comment", "dpi"];

    /// <summary>Characters a typo, a paste from a document or a hostile file brings: each has broken some parser somewhere.</summary>
    private static readonly string[] Odd =
    [
        " ", "\t", "=", "-", "/", ":", ".", "+", "0", "9", "a", "x", "#", "%", "[", "]", ",", "'", "\\",
        "\0", "\x1b", "\r", "\n", "\x7f", "\x01", "\u0085", "\u00a0", "\u2028", "\u202e", "\u2066", "\ufeff",
        "\ud800", "\udc00", "\U0001F600", "\u0430", "\uff15", "\uffff", "\u0660", "\u00e9", "\u0131",
    ];

    /// <summary>Numbers at and past the widths a parser may read them into, and the bounds of every field.</summary>
    private static readonly string[] Huge =
    [
        "-1", "00", "0000000000000443", "33", "129", "256", "65535", "65536", "99999", "100000", "2147483647", "2147483648",
        "4294967296", "999999999999", "1000000000000", "253402300799", "253402300800", "9223372036854775807",
        "9223372036854775808", "18446744073709551616", "99999999999999999999999999999999999999",
    ];

    /// <summary>A valid rule as a user may type it (any key order, short or long address forms), and what it means.</summary>
    public static (string Text, Rule Meant) Valid(Random random)
    {
        var pairs = new List<string>();
        var action = (RuleAction)random.Next(3);
        pairs.Add("action=" + Rule.Format(action));

        long? expire = null;
        switch (random.Next(4))
        {
            case 0:
                expire = random.NextInt64(0, MaxExpire + 1);
                pairs.Add($"expire={expire}");
                break;
            case 1:
                var after = random.Next(2) == 0 ? random.Next(0, 100_000) : random.NextInt64(0, MaxExpire - Now + 1);
                expire = Now + after;
                pairs.Add($"expire=+{after}");
                break;
        }

        Cidr? network = null;
        string? host = null;
        switch (random.Next(7))
        {
            case 0:
            case 1:
                (var v4, network) = Ipv4(random);
                pairs.Add((random.Next(4) == 0 ? "dsthost=" : "dst4=") + v4);
                break;
            case 2:
            case 3:
                (var v6, network) = Ipv6(random);
                pairs.Add((random.Next(4) == 0 ? "dsthost=" : "dst6=") + v6);
                break;
            case 4:
                host = HostName(random);
                pairs.Add((random.Next(4) == 0 ? "dstname=" : "dsthost=") + host);
                break;
        }

        RuleProtocol? protocol = random.Next(4) switch { 0 => null, 1 => RuleProtocol.Tcp, 2 => RuleProtocol.Udp, _ => RuleProtocol.Icmp };
        if (protocol is { } p)
        {
            pairs.Add("proto=" + Rule.Format(p));
        }

        var dns = protocol != RuleProtocol.Icmp && random.Next(5) == 0;
        PortRange? ports = null;
        if (protocol is RuleProtocol.Tcp or RuleProtocol.Udp && random.Next(3) > 0)
        {
            if (dns)
            {
                ports = new PortRange(53, 53);
                pairs.Add(random.Next(2) == 0 ? "dstports=53" : "dstports=53-53");
            }
            else if (random.Next(2) == 0)
            {
                var port = random.Next(0, 65536);
                ports = new PortRange(port, port);
                pairs.Add($"dstports={port}");
            }
            else
            {
                var low = random.Next(0, 65536);
                var high = random.Next(low, 65536);
                ports = new PortRange(low, high);
                pairs.Add($"dstports={low}-{high}");
            }
        }
        if (dns)
        {
            pairs.Add("specialtarget=dns");
        }

        int? icmpType = null;
        if (protocol == RuleProtocol.Icmp && random.Next(2) == 0)
        {
            icmpType = random.Next(0, 256);
            pairs.Add($"icmptype={icmpType}");
        }
        if (random.Next(6) == 0)
        {
            pairs.Add("dpi=NO");
        }

        Shuffle(random, pairs);
        var text = string.Join(' ', pairs);
        string? comment = null;
        if (random.Next(3) == 0)
        {
            comment = Comment(random);
            text += " comment=" + comment;
        }
        else if (random.Next(8) == 0)
        {
            text += new string(' ', random.Next(1, 4));
        }
        if (random.Next(8) == 0)
        {
            text = new string(' ', random.Next(1, 4)) + text;
        }
        return (text, new Rule(action, expire, network, host, protocol, dns, ports, icmpType, comment));
    }

    /// <summary>A valid rule, changed one to four times.</summary>
    public static string Mutated(Random random)
    {
        var text = Valid(random).Text;
        for (var n = random.Next(1, 5); n > 0; n--)
        {
            text = Mutate(random, text);
        }
        return text;
    }

    public static string Mutate(Random random, string text)
    {
        var at = random.Next(text.Length + 1);
        switch (random.Next(15))
        {
            case 0 when text.Length > 0:
                return text.Remove(Math.Min(at, text.Length - 1), 1);
            case 1:
                return text.Insert(at, Pick(random, Odd));
            case 2 when text.Length > 0:
                var from = random.Next(text.Length);
                var span = text.Substring(from, random.Next(1, Math.Min(12, text.Length - from) + 1));
                return text.Insert(at, span);
            case 3:
                return SwapPairs(random, text);
            case 4:
                return RenameKey(random, text);
            case 5:
                var pairs = text.Split(' ');
                return text + " " + pairs[random.Next(pairs.Length)];
            case 6:
                return ReplaceNumber(random, text);
            case 7:
                return text[..Math.Min(at, text.Length)];
            case 8:
                return ReplaceValue(random, text);
            case 9:
                return text.Insert(at, string.Concat(Enumerable.Repeat(Pick(random, Odd), random.Next(100, 3000))));
            case 10 when text.Length > 0:
                var i = random.Next(text.Length);
                return text[..i] + Pick(random, Odd) + text[(i + 1)..];
            case 11:
                var other = Valid(random).Text.Trim(' ').Split(' ');
                return text.Insert(at, " " + other[random.Next(other.Length)] + " ");
            case 12 when text.Length > 0:
                var c = random.Next(text.Length);
                return text[..c] + (char.IsUpper(text[c]) ? char.ToLowerInvariant(text[c]) : char.ToUpperInvariant(text[c])) + text[(c + 1)..];
            case 13:
                // A value any key may take, in front of the comment or at the end.
                return text.Insert(at, $" {Pick(random, Keys)}={Pick(random, Huge)}");
            default:
                return text + Pick(random, Odd);
        }
    }

    private static (string Text, Cidr Network) Ipv4(Random random)
    {
        var bytes = new byte[4];
        random.NextBytes(bytes);
        var address = new IPAddress(bytes);
        var prefix = random.Next(3) == 0 ? 32 : random.Next(0, 33);
        var text = address + (prefix == 32 && random.Next(2) == 0 ? "" : $"/{prefix}");
        return (text, new Cidr(address, prefix));
    }

    /// <summary>An IPv6 address written short, in full, in upper case or with an IPv4 tail.</summary>
    private static (string Text, Cidr Network) Ipv6(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        // Runs of zero groups, so the short form has a "::" to find.
        var zeroFrom = random.Next(16);
        Array.Clear(bytes, zeroFrom, random.Next(0, 16 - zeroFrom + 1));
        if (random.Next(6) == 0)
        {
            // An IPv4-mapped address: ::ffff:a.b.c.d.
            Array.Clear(bytes, 0, 10);
            bytes[10] = bytes[11] = 0xff;
        }
        var address = new IPAddress(bytes);
        var groups = Enumerable.Range(0, 8).Select(g => ((bytes[2 * g] << 8) | bytes[2 * g + 1]).ToString("x", null)).ToArray();
        var text = random.Next(4) switch
        {
            0 => string.Join(':', groups),
            1 => string.Join(':', groups.Select(g => g.PadLeft(4, '0'))).ToUpperInvariant(),
            2 => string.Join(':', groups.Take(6)) + ":" + new IPAddress(bytes[12..]),
            _ => address.ToString(),
        };
        var prefix = random.Next(3) == 0 ? 128 : random.Next(0, 129);
        return (text + (prefix == 128 && random.Next(2) == 0 ? "" : $"/{prefix}"), new Cidr(address, prefix));
    }

    /// <summary>A name of lowercase labels whose last one starts with a letter past f: never read as a number.</summary>
    private static string HostName(Random random)
    {
        const string inner = "abcdefghijklmnopqrstuvwxyz0123456789-_";
        var labels = new List<string>();
        for (var n = random.Next(0, 4); n > 0; n--)
        {
            labels.Add(new string(Enumerable.Range(0, random.Next(1, random.Next(2) == 0 ? 8 : 64)).Select(_ => inner[random.Next(inner.Length)]).ToArray()));
        }
        labels.Add((char)('g' + random.Next(20)) + new string(Enumerable.Range(0, random.Next(0, 6)).Select(_ => (char)('a' + random.Next(26))).ToArray()));
        var name = string.Join('.', labels);
        while (name.Length > 252)
        {
            labels.RemoveAt(0);
            name = string.Join('.', labels);
        }
        return name + (random.Next(8) == 0 ? "." : "");
    }

    /// <summary>Printable ASCII but '=', spaces anywhere (leading and trailing too), never only spaces.</summary>
    private static string Comment(Random random)
    {
        var text = new StringBuilder();
        for (var n = random.Next(1, 60); n > 0; n--)
        {
            var c = (char)random.Next(' ', '~' + 1);
            text.Append(c == '=' ? ' ' : c);
        }
        if (text.ToString().Trim(' ').Length == 0)
        {
            text.Append('x');
        }
        return text.ToString();
    }

    private static string SwapPairs(Random random, string text)
    {
        var pairs = text.Split(' ');
        if (pairs.Length < 2)
        {
            return text;
        }
        int a = random.Next(pairs.Length), b = random.Next(pairs.Length);
        (pairs[a], pairs[b]) = (pairs[b], pairs[a]);
        return string.Join(' ', pairs);
    }

    private static string RenameKey(Random random, string text)
    {
        var keyAt = text.IndexOf(Pick(random, Keys) + "=", StringComparison.Ordinal);
        if (keyAt < 0)
        {
            return text;
        }
        var eq = text.IndexOf('=', keyAt);
        var renamed = random.Next(3) switch
        {
            0 => Pick(random, Keys),
            1 => text[keyAt..eq].ToUpperInvariant(),
            _ => text[keyAt..eq] + "s",
        };
        return text[..keyAt] + renamed + text[eq..];
    }

    private static string ReplaceNumber(Random random, string text)
    {
        var digits = Enumerable.Range(0, text.Length).Where(i => char.IsAsciiDigit(text[i]) && (i == 0 || !char.IsAsciiDigit(text[i - 1]))).ToArray();
        if (digits.Length == 0)
        {
            return text + Pick(random, Huge);
        }
        var start = digits[random.Next(digits.Length)];
        var end = start;
        while (end < text.Length && char.IsAsciiDigit(text[end]))
        {
            end++;
        }
        return text[..start] + Pick(random, Huge) + text[end..];
    }

    private static string ReplaceValue(Random random, string text)
    {
        var eqs = Enumerable.Range(0, text.Length).Where(i => text[i] == '=').ToArray();
        if (eqs.Length == 0)
        {
            return text;
        }
        var start = eqs[random.Next(eqs.Length)] + 1;
        var end = text.IndexOf(' ', start) is var space and >= 0 ? space : text.Length;
        var junk = random.Next(4) switch
        {
            0 => "",
            1 => Pick(random, Huge),
            2 => new string(Enumerable.Range(0, random.Next(1, 20)).Select(_ => Pick(random, Odd)[0]).ToArray()),
            _ => Pick(random, ["::", ":::", "1.2.3", "1.2.3.4.5", "0x7f.1", "010.0.0.1", "::ffff:1.2.3.010", "[::1]", "::1%eth0", "a..b",
                "-", "1-", "-1", "5-4", "+", "++1", "NO", "no", "dns", "DNS", "tcp", "icmp", "/", "1.2.3.4/", "::/", "1.2.3.4/032", "host.123"]),
        };
        return text[..start] + junk + text[end..];
    }

    private static string Pick(Random random, string[] from) => from[random.Next(from.Length)];

    private static void Shuffle<T>(Random random, List<T> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
