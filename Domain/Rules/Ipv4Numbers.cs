namespace Lethe.Domain.Rules;

/// <summary>
/// Whether glibc's getaddrinfo (which Qubes' agent resolves dsthost with) reads a name as an IPv4 address in
/// inet_aton's numbers-and-dots form: one to four parts, each decimal, octal (a leading 0) or hex (0x and at
/// least one hex digit); the last part fills the bytes the others leave, and every part must fit its bytes.
/// Used only to tell such a name apart from one Qubes would look up in DNS.
/// </summary>
internal static class Ipv4Numbers
{
    public static bool ReadsAsAddress(string name)
    {
        var parts = name.Split('.');
        if (parts.Length > 4)
        {
            return false;
        }
        for (var i = 0; i < parts.Length; i++)
        {
            // The last part holds the remaining 5 - parts bytes: 32 bits for one part, 8 for four.
            var max = i < parts.Length - 1 ? 255UL : (1UL << (8 * (5 - parts.Length))) - 1;
            if (!TryNumber(parts[i], out var number) || number > max)
            {
                return false;
            }
        }
        return true;
    }

    private static bool TryNumber(string part, out ulong number)
    {
        number = 0;
        var (digits, radix) = part.StartsWith("0x", StringComparison.Ordinal) ? (part[2..], 16)
            : part.Length > 1 && part[0] == '0' ? (part[1..], 8)
            : (part, 10);
        if (digits.Length == 0)
        {
            return false; // "" and a bare "0x"; a lone "0" is decimal
        }
        foreach (var c in digits)
        {
            var value = c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'f' ? c - 'a' + 10 : 99;
            if (value >= radix)
            {
                return false;
            }
            number = number * (ulong)radix + (ulong)value;
            if (number > uint.MaxValue)
            {
                return false; // also keeps the sum from overflowing on a long part
            }
        }
        return true;
    }
}
