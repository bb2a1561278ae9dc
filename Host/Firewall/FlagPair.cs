namespace Lethe.Firewall;

/// <summary>The KEY=VALUE flags (--client-tun, --client-interface, --resolve): both sides must be there, but for --resolve NAME=.</summary>
public static class FlagPair
{
    /// <param name="shape">How the pair is written, for the message, e.g. "CLIENT=DEVICE".</param>
    /// <param name="emptyValue">Whether nothing after the '=' is a value (--resolve NAME=: the name has no address).</param>
    /// <exception cref="FlagException">No '=', or nothing before it (or after it, unless <paramref name="emptyValue"/>).</exception>
    public static (string Key, string Value) Split(string flag, string pair, string shape, bool emptyValue = false)
    {
        var equals = pair.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || (equals == pair.Length - 1 && !emptyValue))
        {
            throw new FlagException($"{flag}: '{pair}' is not {shape}");
        }
        return (pair[..equals], pair[(equals + 1)..]);
    }
}
