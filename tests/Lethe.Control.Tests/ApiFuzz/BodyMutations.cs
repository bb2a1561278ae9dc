using System.Text;
using System.Text.Json.Nodes;

namespace Lethe.Control.Tests.ApiFuzz;

/// <summary>
/// A valid JSON body made wrong in one way: a field missing, null, of another type, too large, too deep,
/// given twice, not UTF-8; or the body itself cut short, flipped, padded or not an object at all.
/// </summary>
internal static class BodyMutations
{
    /// <summary>The bytes to send, the field at fault (null when none is) and what was done, for the report.</summary>
    public readonly record struct Mutated(byte[] Bytes, string? Field, string Mutation);

    public static Mutated Apply(JsonObject valid, Random random)
    {
        var fields = valid.Select(p => p.Key).ToArray();
        var field = fields.Length == 0 ? "reason" : fields[random.Next(fields.Length)];
        switch (random.Next(23))
        {
            case 0:
                return Field(Without(valid, field), field, "missing " + field);
            case 1:
                return Field(With(valid, field, null), field, "null " + field);
            case 2 or 3:
                {
                    var (value, name) = WrongValue(random);
                    return Field(With(valid, field, value), field, $"{field} = {name}");
                }
            case 4:
                return Field(With(valid, field, HugeText(random)), field, "huge string in " + field);
            case 5 or 6:
                {
                    var text = OddTexts[random.Next(OddTexts.Length)];
                    return Field(With(valid, field, text), field, $"{field} = odd text #{Array.IndexOf(OddTexts, text)}");
                }
            case 7:
                {
                    var extra = ExtraNames[random.Next(ExtraNames.Length)];
                    var body = (JsonObject)valid.DeepClone();
                    body[extra] = random.Next(2) == 0 ? "x" : JsonValue.Create(1);
                    return Field(body, extra, "extra field " + extra);
                }
            case 8:
                return Duplicate(valid, field);
            case 9:
                {
                    var depth = random.Next(2) == 0 ? 65 : random.Next(66, 5000);
                    var text = Encoding.UTF8.GetBytes(valid.ToJsonString());
                    var nested = new string('[', depth) + new string(']', depth);
                    // Deep nesting is refused by the reader before any field is judged: the body is at fault, not a field.
                    return new(Splice(text, $"\"{field}\":" + nested + ",", 1), null, $"{field} nested {depth} deep (given twice)");
                }
            case 10:
                return NotUtf8(valid, field, random);
            case 11:
                return EscapedSurrogate(valid, field);
            case 12:
                {
                    var text = Encoding.UTF8.GetBytes(valid.ToJsonString());
                    var cut = random.Next(text.Length);
                    return new(text[..cut], null, $"cut at byte {cut} of {text.Length}");
                }
            case 13:
                {
                    var text = Encoding.UTF8.GetBytes(valid.ToJsonString());
                    var at = random.Next(text.Length);
                    text[at] = (byte)random.Next(256);
                    return new(text, null, $"byte {at} set to 0x{text[at]:x2}");
                }
            case 14:
                {
                    var other = NotObjects[random.Next(NotObjects.Length)];
                    return new(Encoding.UTF8.GetBytes(other), null, $"not an object: {Show(other)}");
                }
            case 15:
                {
                    var tail = Tails[random.Next(Tails.Length)];
                    return new(Encoding.UTF8.GetBytes(valid.ToJsonString() + tail), null, $"followed by {Show(tail)}");
                }
            case 16:
                {
                    var text = valid.ToJsonString();
                    var odd = random.Next(3) switch
                    {
                        0 => text.Insert(text.Length - 1, ","),
                        1 => "/* c */" + text,
                        _ => text.Replace(":", ": // c\n", StringComparison.Ordinal),
                    };
                    return new(Encoding.UTF8.GetBytes(odd), null, "trailing comma or comment");
                }
            case 17:
                {
                    // Valid, with what readers differ on: a byte order mark, padding, capitalised names.
                    var text = valid.ToJsonString();
                    var odd = random.Next(3) switch
                    {
                        0 => "\uFEFF" + text,
                        1 => new string(' ', random.Next(1, 100_000)) + text + "\n\t\r ",
                        _ => text.Replace("\"" + field + "\"", "\"" + field.ToUpperInvariant() + "\"", StringComparison.Ordinal),
                    };
                    return new(Encoding.UTF8.GetBytes(odd), null, "bom, padding or capitals");
                }
            case 18:
                {
                    var number = OddNumbers[random.Next(OddNumbers.Length)];
                    var body = (JsonObject)valid.DeepClone();
                    body[field] = "@@NUMBER@@";
                    var text = body.ToJsonString().Replace("\"@@NUMBER@@\"", number, StringComparison.Ordinal);
                    // A token that is no JSON number ("NaN", "+1") is a syntax error: the body is at fault, as for any other.
                    return new(Encoding.UTF8.GetBytes(text), IsJsonNumber(number) ? field : null, $"{field} = {number}");
                }
            case 19 when valid["lines"] is JsonArray lines && lines.Count > 0:
                {
                    var body = (JsonObject)valid.DeepClone();
                    var index = random.Next(lines.Count);
                    var (value, name) = random.Next(3) == 0 ? (null, "null") : WrongValue(random);
                    body["lines"]![index] = value;
                    return Field(body, "lines", $"lines[{index}] = {name}");
                }
            case 20 when random.Next(2) == 0:
                return Field(new JsonObject(), null, "empty object");
            case 20:
                {
                    // Valid, in the charset the request's Content-Type names (ApiRequestFuzzTests sends it so).
                    var charset = Charsets[random.Next(Charsets.Length)];
                    return new(Encoding.GetEncoding(charset).GetBytes(valid.ToJsonString()), null, "charset " + charset);
                }
            case 21 when valid["lines"] is JsonArray || valid["addresses"] is JsonArray:
                {
                    // More elements than a client takes (1,024 addresses, the rules a firewall takes), or nearly.
                    var name = valid["lines"] is JsonArray ? "lines" : "addresses";
                    var count = random.Next(2) == 0 ? random.Next(1_000, 1_100) : random.Next(1_100, 20_000);
                    var many = new JsonArray();
                    for (var k = 0; k < count; k++)
                    {
                        many.Add(name == "lines" ? $"action=accept dst4=192.0.2.{k % 256} proto=tcp dstports={k % 65535 + 1}" : $"2001:db8:1::{k:x}");
                    }
                    return Field(With(valid, name, many), name, $"{name} with {count} elements");
                }
            default:
                return Field(valid, null, "unchanged");
        }
    }

    private static Mutated Field(JsonObject body, string? field, string mutation) => new(Encoding.UTF8.GetBytes(body.ToJsonString()), field, mutation);

    private static JsonObject Without(JsonObject valid, string field)
    {
        var body = (JsonObject)valid.DeepClone();
        body.Remove(field);
        return body;
    }

    private static JsonObject With(JsonObject valid, string field, JsonNode? value)
    {
        var body = (JsonObject)valid.DeepClone();
        body[field] = value;
        return body;
    }

    /// <summary>The field given a second time, first with the other value (or its own): a reviewer reading the first would be misled.</summary>
    private static Mutated Duplicate(JsonObject valid, string field)
    {
        var text = Encoding.UTF8.GetBytes(valid.ToJsonString());
        var value = valid[field]?.ToJsonString() ?? "null";
        return new(Splice(text, $"\"{field}\":{value},", 1), field, "duplicate " + field);
    }

    /// <summary>Raw bytes that are no UTF-8 inside the field's string: a lone continuation byte, an overlong NUL, an encoded surrogate, a cut sequence.</summary>
    private static Mutated NotUtf8(JsonObject valid, string field, Random random)
    {
        byte[][] bad = [[0xFF], [0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC3]];
        var pick = bad[random.Next(bad.Length)];
        var body = With(valid, field, "@@BAD@@");
        var text = Encoding.UTF8.GetBytes(body.ToJsonString());
        var marker = Encoding.UTF8.GetBytes("@@BAD@@");
        var at = text.AsSpan().IndexOf(marker);
        var result = new byte[text.Length - marker.Length + pick.Length + 2];
        text.AsSpan(0, at).CopyTo(result);
        result[at] = (byte)'a';
        pick.CopyTo(result, at + 1);
        result[at + 1 + pick.Length] = (byte)'b';
        text.AsSpan(at + marker.Length).CopyTo(result.AsSpan(at + pick.Length + 2));
        return new(result, field, $"{field} not UTF-8 ({Convert.ToHexString(pick)})");
    }

    private static Mutated EscapedSurrogate(JsonObject valid, string field)
    {
        var body = With(valid, field, "@@SUR@@");
        var text = body.ToJsonString().Replace("@@SUR@@", "x\\ud800y", StringComparison.Ordinal);
        return new(Encoding.UTF8.GetBytes(text), field, field + " with a lone escaped surrogate");
    }

    private static byte[] Splice(byte[] text, string insert, int at)
    {
        var extra = Encoding.UTF8.GetBytes(insert);
        return [.. text.AsSpan(0, at), .. extra, .. text.AsSpan(at)];
    }

    private static (JsonNode? Value, string Name) WrongValue(Random random) => random.Next(9) switch
    {
        0 => (JsonValue.Create(0), "0"),
        1 => (JsonValue.Create(-1), "-1"),
        2 => (JsonValue.Create(1.5), "1.5"),
        3 => (JsonValue.Create(true), "true"),
        4 => (new JsonArray(), "[]"),
        5 => (new JsonObject { ["a"] = 1 }, "{a:1}"),
        6 => (JsonValue.Create("7"), "\"7\""),
        7 => (new JsonArray("action=accept", 1), "[text, 1]"),
        _ => (JsonValue.Create(long.MaxValue), "long.MaxValue"),
    };

    private static string HugeText(Random random)
    {
        var length = random.Next(2) == 0 ? random.Next(501, 5_000) : random.Next(100_000, 400_000);
        var builder = new StringBuilder(length);
        string[] pieces = ["a", "action=accept ", "é", "\U0001F600", " ", "\t", "\u0000", "x=y "];
        var piece = pieces[random.Next(pieces.Length)];
        while (builder.Length < length)
        {
            builder.Append(piece);
        }
        return builder.ToString();
    }

    private static bool IsJsonNumber(string token)
    {
        try
        {
            using var parsed = System.Text.Json.JsonDocument.Parse(token);
            return parsed.RootElement.ValueKind == System.Text.Json.JsonValueKind.Number;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static string Show(string text) => text.Length > 20 ? text[..20] + "..." : text;

    private static readonly string[] OddTexts =
    [
        "", " ", "\u0000", "\n", "x\r\ny", "\u202Eabc", "\u200B", "\U0001F600", "..", "../../etc", "%00", "a/b", "action=accept",
        "action=accept proto=tcp dstports=1-65535", "action=reject dst6=::/0", "action=drop dsthost=example.test", "action=accept expire=1",
        "action=accept comment=" + new string('c', 3000), "10.137.0.10", "::", "0.0.0.0", "255.255.255.255", "fe80::1%eth0", "drop", "accept",
        "icmp", "tcp", "udp", "latest", "draft", "-1", "0", "2147483648", "NaN", "true", "null", "Zeta", "a-b_c", new string('a', 63), new string('a', 64),
    ];

    public static readonly string[] Charsets = ["utf-16", "utf-16BE", "utf-32", "iso-8859-1", "us-ascii", "utf-8"];

    private static readonly string[] ExtraNames =
    [
        "colour", "confirmWithin", "replaceExisting", "actor", "version", "id", "", "__proto__", "reason ", "Reasons", "Reason", "REASON",
        "r\u0435ason", new string('k', 10_000), "a'b", "\u0000", "' could not be mapped", "$.reason", "lines[0]",
    ];

    private static readonly string[] NotObjects = ["", "null", "[]", "[{}]", "\"text\"", "42", "true", "{", "}", "{\"reason\"}", "\u0000", "\uFEFF"];

    private static readonly string[] Tails = ["x", "{}", "]", " null", ",", "\u0000", "{\"reason\":\"again\"}"];

    private static readonly string[] OddNumbers =
    [
        "1e400", "-1e400", "1e3", "1.0", "-0", "01", "99999999999999999999999999", "-2147483649", "2147483648", "2147483647", "-2147483648",
        "9223372036854775808", "0.0000001", "1E+2", "+1", ".5", "NaN", "Infinity", "0x10",
    ];
}
