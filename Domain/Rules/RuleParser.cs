using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Lethe.Domain.Rules;

/// <summary>
/// Parses the Qubes firewall rule format as decided in the rule-format reference, section 4:
/// any key order, exact lowercase, one space between pairs, canonical output.
/// </summary>
public static class RuleParser
{
    /// <summary>Twelve digits at most: nothing that overflows a long when a relative one is added.</summary>
    private const int MaxExpireDigits = 12;

    /// <summary>9999-12-31T23:59:59Z: Qubes reads expire as a Python datetime, which refuses the year 10000.</summary>
    private const long MaxExpire = 253_402_300_799;

    private static readonly string[] KnownKeys =
        ["action", "expire", "dst4", "dst6", "dsthost", "dstname", "proto", "specialtarget", "dstports", "icmptype", "comment", "dpi"];

    public static Rule Parse(string text, long nowUnix)
    {
        if (!TryParse(text, nowUnix, out var rule, out var error))
        {
            throw new RuleFormatException(error.Key, error.Message);
        }
        return rule;
    }

    /// <param name="nowUnix">Turns the CLI's relative <c>expire=+SECONDS</c> into the stored absolute time.</param>
    public static bool TryParse(string text, long nowUnix, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Rule? rule,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out RuleError? error)
    {
        rule = null;
        error = Read(text ?? "", nowUnix, out var parsed);
        if (error is null)
        {
            rule = parsed;
        }
        return error is null;
    }

    /// <summary>Longest comment taken: a note for whoever reads the rule, not a document.</summary>
    public const int MaxCommentCharacters = 1_000;

    private static RuleError? Read(string text, long nowUnix, out Rule? rule)
    {
        rule = null;
        // Only the leading spaces go here: trailing ones belong to a comment, which Qubes keeps to the end of the line.
        var trimmed = text.TrimStart(' ');
        var head = trimmed.TrimEnd(' ');
        if (head.Length == 0)
        {
            return new RuleError("rule", "the rule is empty: it needs at least action=accept, action=drop or action=reject");
        }

        // comment= swallows the rest of the line, spaces included, so cut it off before splitting.
        string? comment = null;
        var commentAt = trimmed.StartsWith("comment=", StringComparison.Ordinal) ? 0 : trimmed.IndexOf(" comment=", StringComparison.Ordinal) + 1;
        if (commentAt > 0 || trimmed.StartsWith("comment=", StringComparison.Ordinal))
        {
            comment = trimmed[(commentAt + "comment=".Length)..];
            head = commentAt == 0 ? "" : trimmed[..(commentAt - 1)];
            if (comment.Length > MaxCommentCharacters)
            {
                // Comments stay in the control plane, where every later change reads them: six comments of 29 MB
                // (the most one request carries) made each command take 18 s.
                return new RuleError("comment", $"comment must be at most {MaxCommentCharacters:N0} characters; this one has {comment.Length:N0}");
            }
            for (var i = 0; i < comment.Length; i++)
            {
                var c = comment[i];
                if (c >= 127 || c < 32)
                {
                    return new RuleError("comment", $"comment must be printable ASCII, not {CodePoint(comment, i)} (character {i + 1} of the comment)");
                }
                if (c == '=')
                {
                    return new RuleError("comment", "comment must come last (it runs to the end of the line) and must not contain '='");
                }
            }
        }

        if (comment is not null && comment.AsSpan().TrimEnd(' ').IsEmpty)
        {
            // `qvm-firewall --raw list` prints a blank comment as "comment= ": no comment, not one of spaces nobody can see.
            comment = null;
        }

        // Positions are counted in the line as typed, so the leading spaces skipped above count too.
        var skipped = text.Length - trimmed.Length;
        for (var i = 0; i < head.Length; i++)
        {
            var control = head[i] < ' ' && head[i] != '\t'; // a tab is told apart below, as the separator it was meant as
            if (head[i] > '~' || control)
            {
                // Pasted from a document, a no-break space or a Cyrillic letter looks like the ASCII it imitates, so
                // quoting the text would show nothing wrong: name the character. Qubes refuses any such payload too.
                // A control character is no more visible, and quoted raw an API client would show it as it is, or obey it.
                var start = head.LastIndexOf(' ', i) + 1;
                var eq = head.IndexOf('=', start);
                // Named under its key when that is one: an unknown key's refusal would come after, and the field it is
                // reported under (rule.KEY) names a key of the format or the rule.
                var key = eq > start && eq < i && Array.IndexOf(KnownKeys, head[start..eq]) >= 0 ? head[start..eq] : "rule";
                return new RuleError(key, $"{(key == "rule" ? "the rule" : key)} holds {CodePoint(head, i)} at character {i + 1 + skipped}, " + (control
                    ? "a control character (an ESC, a NUL, a line break or a carriage return, say): rules are printable ASCII, as in Qubes"
                    : "which is not ASCII (a no-break space or a look-alike letter, say): rules are plain ASCII, as in Qubes"));
            }
        }

        if (head.Contains('\t') || head.Contains("  ", StringComparison.Ordinal) || head.EndsWith(' '))
        {
            return new RuleError("rule", "pairs must be separated by exactly one space (found a tab or a double space)");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (head.Length > 0)
        {
            foreach (var pair in head.Split(' '))
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0)
                {
                    // A key without its value ("proto") is named; "=tcp", "tcp" or a value cut off by a space (" ::1")
                    // is no key, and the field a refusal is reported under (rule.KEY) names only keys or the rule.
                    return new RuleError(eq < 0 && Array.IndexOf(KnownKeys, pair) >= 0 ? pair : "rule", $"{QuotedText.Quote(pair)} is not a key=value pair");
                }
                var key = pair[..eq];
                var value = pair[(eq + 1)..];
                if (Array.IndexOf(KnownKeys, key) < 0 || key == "comment")
                {
                    return key == "comment"
                        ? new RuleError("comment", "duplicate key 'comment'")
                        // A key too long to quote whole is no field name either (rule.KEY would carry all of it): the rule is.
                        : new RuleError(key.Length <= QuotedText.MaxShown ? key : "rule",
                            $"unknown key {QuotedText.Quote(key)} (keys are lowercase: {string.Join(", ", KnownKeys)})");
                }
                if (!values.TryAdd(key, value))
                {
                    return new RuleError(key, $"duplicate key '{key}'");
                }
            }
        }

        if (!values.TryGetValue("action", out var actionText))
        {
            return new RuleError("action", "action is required: accept, drop or reject");
        }
        RuleAction action;
        switch (actionText)
        {
            case "accept": action = RuleAction.Accept; break;
            case "drop": action = RuleAction.Drop; break;
            case "reject": action = RuleAction.Reject; break;
            default: return new RuleError("action", $"action must be accept, drop or reject, not {QuotedText.Quote(actionText)}");
        }

        if (values.TryGetValue("dpi", out var dpi) && dpi != "NO")
        {
            return new RuleError("dpi", $"dpi only accepts NO (the spec's default), not {QuotedText.Quote(dpi)}");
        }

        long? expire = null;
        if (values.TryGetValue("expire", out var expireText))
        {
            var relative = expireText.StartsWith('+');
            var digits = relative ? expireText[1..] : expireText;
            if (!IsDigits(digits) || digits.Length > MaxExpireDigits || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return new RuleError("expire", $"expire must be a UNIX time in seconds (or +SECONDS from now), not {QuotedText.Quote(expireText)}");
            }
            expire = relative ? nowUnix + seconds : seconds;
            // A relative expire must land where an absolute one may: the sealed snapshot re-reads the stored form.
            if (expire > MaxExpire)
            {
                return new RuleError("expire", relative
                    ? $"expire +{seconds} lands after {MaxExpire} (the end of the year 9999), the latest UNIX time a rule may name"
                    : $"expire {seconds} is after {MaxExpire} (the end of the year 9999), the latest UNIX time a rule may name; Qubes refuses it too");
            }
        }

        var destinations = 0;
        Cidr? network = null;
        string? host = null;
        // dstname is Qubes' other name for dsthost (its parser takes either), written back as dsthost.
        foreach (var key in new[] { "dst4", "dst6", "dsthost", "dstname" })
        {
            if (!values.TryGetValue(key, out var value))
            {
                continue;
            }
            if (++destinations > 1)
            {
                return new RuleError(key, $"{key}: only one of dst4, dst6 and dsthost (or dstname) may be given");
            }
            var failure = key switch
            {
                "dst4" => ReadNetwork(key, value, AddressFamily.InterNetwork, out network),
                "dst6" => ReadNetwork(key, value, AddressFamily.InterNetworkV6, out network),
                _ => ReadHost(value, out network, out host),
            };
            if (failure is not null)
            {
                return failure;
            }
        }

        RuleProtocol? protocol = null;
        if (values.TryGetValue("proto", out var protoText))
        {
            switch (protoText)
            {
                case "tcp": protocol = RuleProtocol.Tcp; break;
                case "udp": protocol = RuleProtocol.Udp; break;
                case "icmp": protocol = RuleProtocol.Icmp; break;
                default: return new RuleError("proto", $"proto must be tcp, udp or icmp, not {QuotedText.Quote(protoText)}");
            }
        }

        PortRange? ports = null;
        if (values.TryGetValue("dstports", out var portsText))
        {
            if (protocol is not (RuleProtocol.Tcp or RuleProtocol.Udp))
            {
                return new RuleError("dstports", "dstports is only valid with proto=tcp or proto=udp");
            }
            var failure = ReadPorts(portsText, out ports);
            if (failure is not null)
            {
                return failure;
            }
        }

        int? icmpType = null;
        if (values.TryGetValue("icmptype", out var icmpText))
        {
            if (protocol != RuleProtocol.Icmp)
            {
                return new RuleError("icmptype", "icmptype is only valid with proto=icmp");
            }
            if (!IsDigits(icmpText) || icmpText.Length > 3 || int.Parse(icmpText, CultureInfo.InvariantCulture) > 255)
            {
                return new RuleError("icmptype", $"icmptype must be a number from 0 to 255, not {QuotedText.Quote(icmpText)}");
            }
            icmpType = int.Parse(icmpText, CultureInfo.InvariantCulture);
        }

        var dnsTarget = false;
        if (values.TryGetValue("specialtarget", out var special))
        {
            if (special != "dns")
            {
                return new RuleError("specialtarget", $"specialtarget only accepts dns, not {QuotedText.Quote(special)}");
            }
            if (protocol == RuleProtocol.Icmp)
            {
                return new RuleError("specialtarget", "specialtarget=dns means TCP and UDP port 53, so it can never match with proto=icmp");
            }
            if (ports is { } range && !range.Contains(53))
            {
                return new RuleError("specialtarget", $"specialtarget=dns means port 53, so it can never match with dstports={range}");
            }
            if (ports is { } wide && (wide.Low, wide.High) != (53, 53))
            {
                // Qubes' agent skips a dns rule with any dstports but 53, so there it matches nothing at all.
                return new RuleError("specialtarget", $"specialtarget=dns takes dstports=53 or none, not dstports={wide}: Qubes ignores such a rule, so it would match nothing");
            }
            dnsTarget = true;
        }

        rule = new Rule(action, expire, network, host, protocol, dnsTarget, ports, icmpType, comment);
        return null;
    }

    private static RuleError? ReadNetwork(string key, string value, AddressFamily family, out Cidr? network)
    {
        network = null;
        var slash = value.IndexOf('/');
        var addressText = slash < 0 ? value : value[..slash];
        var maxPrefix = family == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = maxPrefix;
        if (slash >= 0)
        {
            var prefixText = value[(slash + 1)..];
            if (prefixText.Length > 1 && prefixText[0] == '0' && IsDigits(prefixText)
                && prefixText.TrimStart('0') is var meant && meant.Length <= 3 && (meant.Length == 0 ? 0 : int.Parse(meant, CultureInfo.InvariantCulture)) <= maxPrefix)
            {
                // Qubes' validator reads /0024 as 24 and keeps the text; nft, which its agent hands the
                // text to, reads it as octal (20): one rule, two networks. Refused, as IPv4 parts with leading zeros are.
                return new RuleError(key, $"{key}: the prefix length {QuotedText.Quote(prefixText)} has a leading zero, which nft reads as octal; " +
                    $"write it without (/{(meant.Length == 0 ? "0" : meant)})");
            }
            if (!IsDigits(prefixText) || prefixText.Length > 3 || (prefix = int.Parse(prefixText, CultureInfo.InvariantCulture)) > maxPrefix)
            {
                return new RuleError(key, $"{key}: the prefix length must be a number from 0 to {maxPrefix}, not {QuotedText.Quote(prefixText)}");
            }
        }
        var parsed = family == AddressFamily.InterNetwork ? ParseIPv4(addressText) : ParseIPv6(addressText);
        if (parsed is null)
        {
            return new RuleError(key, $"{key}: {QuotedText.Quote(addressText)} is not {NotAnAddress(addressText, family)}");
        }
        network = new Cidr(parsed, prefix);
        return null;
    }

    private static RuleError? ReadHost(string value, out Cidr? network, out string? host)
    {
        network = null;
        host = null;
        // An IP literal given as dsthost is classified by its value (section 4); so is a network, which
        // Qubes documents dsthost as taking in CIDR notation, and stores as dst4/dst6 as Lethe does.
        var slash = value.IndexOf('/');
        if (slash >= 0)
        {
            return ReadNetwork("dsthost", value, value[..slash].Contains(':') ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, out network);
        }
        if (ParseIPv4(value) is { } v4)
        {
            network = new Cidr(v4, 32);
            return null;
        }
        if (FourParts(value) is { } parts && parts.All(IsDigits) && Ipv4Flaw(parts) is { } flaw)
        {
            // Four decimal parts mean an address, so say what is wrong with it rather than call it a shortened one.
            return new RuleError("dsthost", $"dsthost {QuotedText.Quote(value)} is not an IPv4 address: {flaw}; give an address as dst4=");
        }
        if (value.Contains(':'))
        {
            // No host name holds a colon: this is an IPv6 address gone wrong, and is named as one.
            if (ParseIPv6(value) is not { } v6)
            {
                return new RuleError("dsthost", $"dsthost: {QuotedText.Quote(value)} is not {NotAnAddress(value, AddressFamily.InterNetworkV6)}");
            }
            network = new Cidr(v6, 128);
            return null;
        }
        if (value.Length == 0 || value.Length > 253)
        {
            return new RuleError("dsthost", "dsthost must be a host name of 1 to 253 characters");
        }
        foreach (var c in value)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '.' or '_'))
            {
                return new RuleError("dsthost", $"dsthost {QuotedText.Quote(value)} may only hold a-z, 0-9, '-', '.' and '_' (lowercase)");
            }
        }
        var trimmed = value.EndsWith('.') ? value[..^1] : value;
        var labels = trimmed.Split('.');
        if (trimmed.Length == 0 || labels.Any(label => label.Length == 0 || label.Length > 63))
        {
            return new RuleError("dsthost", $"dsthost {QuotedText.Quote(value)} has an empty or overlong label");
        }
        // Qubes resolves with getaddrinfo, which reads "10.1", "010.0.0.1" or "192.168.0.0x1" as an IPv4 address in
        // shorthand, octal or hex; as a name it would resolve to nothing, and a drop rule would silently block nothing.
        if (Ipv4Numbers.ReadsAsAddress(value))
        {
            return new RuleError("dsthost", $"dsthost {QuotedText.Quote(value)} looks like a shortened, octal or hexadecimal IPv4 address, which Qubes would read as one; write it as dst4= with four decimal parts");
        }
        // Anything else ending so ("host.123", "999.1") Qubes looks up as a name: no top-level domain is all digits, or
        // 0x and hex digits, so it names nothing. Refused, without claiming Qubes read it as an address.
        if (IsDigits(labels[^1]) || IsHexNumber(labels[^1]))
        {
            return new RuleError("dsthost", $"dsthost {QuotedText.Quote(value)} ends in the label {QuotedText.Quote(labels[^1])}, which no top-level domain is, so the name resolves to nothing; write the host's full name, or its address as dst4=");
        }
        host = value;
        return null;
    }

    private static RuleError? ReadPorts(string text, out PortRange? ports)
    {
        ports = null;
        var dash = text.IndexOf('-');
        var lowText = dash < 0 ? text : text[..dash];
        var highText = dash < 0 ? text : text[(dash + 1)..];
        if (!TryPort(lowText, out var low) || !TryPort(highText, out var high))
        {
            return new RuleError("dstports", $"dstports must be PORT or LOW-HIGH with ports from 0 to 65535, not {QuotedText.Quote(text)}");
        }
        if (low > high)
        {
            return new RuleError("dstports", $"dstports {text}: the low port must not be above the high port");
        }
        ports = new PortRange(low, high);
        return null;
    }

    private static bool TryPort(string text, out int port)
    {
        port = 0;
        return IsDigits(text) && text.Length <= 5 && (port = int.Parse(text, CultureInfo.InvariantCulture)) <= 65535;
    }

    public static IPAddress? ParseIPv4(string text)
    {
        if (FourParts(text) is not { } parts || Ipv4Flaw(parts) is not null)
        {
            return null;
        }
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            bytes[i] = byte.Parse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture);
        }
        return new IPAddress(bytes);
    }

    /// <summary>
    /// The four parts of text with three dots, or null. Counted before splitting: a megabyte of "1.1.1..." split
    /// whole, to learn it is no address, made half a million strings (400 ms a refusal).
    /// </summary>
    private static string[]? FourParts(string text) => text.AsSpan().Count('.') == 3 ? text.Split('.') : null;

    /// <summary>What is wrong with four dotted parts as an IPv4 address, or null when nothing is.</summary>
    private static string? Ipv4Flaw(string[] parts)
    {
        foreach (var part in parts)
        {
            if (part.Length == 0)
            {
                return "a part is empty";
            }
            if (!IsDigits(part))
            {
                return $"{QuotedText.Quote(part)} is not a decimal number";
            }
            if (part.Length > 1 && part[0] == '0')
            {
                return $"{QuotedText.Quote(part)} has a leading zero, which may be read as octal; write each part in plain decimal";
            }
            if (part.Length > 3 || int.Parse(part, CultureInfo.InvariantCulture) > 255)
            {
                return $"{QuotedText.Quote(part)} is above 255";
            }
        }
        return null;
    }

    /// <summary>The end of "'TEXT' is not ...": which address the text fails to be and, for four dotted parts, why.</summary>
    private static string NotAnAddress(string text, AddressFamily family)
    {
        if (family == AddressFamily.InterNetwork)
        {
            return FourParts(text) is { } parts && Ipv4Flaw(parts) is { } flaw
                ? $"an IPv4 address: {flaw}"
                : "an IPv4 address with four dotted parts";
        }
        return FourParts(text[(text.LastIndexOf(':') + 1)..]) is { } embedded && Ipv4Flaw(embedded) is { } inner
            ? $"an IPv6 address: in its IPv4 part, {inner}"
            : "an IPv6 address";
    }

    /// <remarks>
    /// IPAddress.TryParse also takes "[addr]" and "[addr]:port"; a port there would be dropped without a word, so brackets are refused.
    /// It also reads "::ffff:1.2.3.010" as ...10, where inet_pton (and so Qubes) refuses it: an embedded IPv4 part must pass <see cref="ParseIPv4"/>.
    /// </remarks>
    public static IPAddress? ParseIPv6(string text) =>
        text.Contains(':') && !text.Contains('%') && !text.Contains('[') && !text.Contains(']') &&
        (!text.Contains('.') || ParseIPv4(text[(text.LastIndexOf(':') + 1)..]) is not null) &&
        IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6
            ? address
            : null;

    /// <summary>Either family, strict: four dotted parts for IPv4, no zone index for IPv6.</summary>
    public static IPAddress? ParseAddress(string text) => ParseIPv4(text) ?? ParseIPv6(text);

    /// <summary>The whole character, so an emoji is named as one (U+1F600), not by the first half of its UTF-16 pair.</summary>
    private static string CodePoint(string text, int at) =>
        $"U+{(System.Text.Rune.TryGetRuneAt(text, at, out var rune) ? rune.Value : text[at]):X4}";

    private static bool IsDigits(string text)
    {
        if (text.Length == 0)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>0x followed by hex digits (none too: inet_aton reads "0x" as 0).</summary>
    private static bool IsHexNumber(string label)
    {
        if (label.Length < 2 || label[0] != '0' || label[1] != 'x')
        {
            return false;
        }
        foreach (var c in label.AsSpan(2))
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }
}
