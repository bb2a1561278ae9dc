namespace Lethe.Firewall;

/// <summary>The KEY=VALUE flags (--client-tun, --client-interface, --resolve): both sides must be there.</summary>
public static class FlagPair
{
    /// <param name="shape">How the pair is written, for the message, e.g. "CLIENT=DEVICE".</param>
    /// <exception cref="FlagException">No '=', or nothing before or after it.</exception>
    public static (string Key, string Value) Split(string flag, string pair, string shape)
    {
        var equals = pair.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || equals == pair.Length - 1)
        {
            throw new FlagException($"{flag}: '{pair}' is not {shape}");
        }
        return (pair[..equals], pair[(equals + 1)..]);
    }
}
