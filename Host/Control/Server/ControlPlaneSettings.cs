using System.Net;
using Lethe.Domain.Rules;

namespace Lethe.Control.Server;

/// <summary>The `Lethe` configuration section (appsettings.json, or env vars such as Lethe__SigningKey).</summary>
public sealed class ControlPlaneSettings
{
    public const string Section = "Lethe";

    /// <summary>Where Kestrel listens; loopback unless told otherwise.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:5080";

    /// <summary>Path of the PEM private key made by `lethe keygen`.</summary>
    public string SigningKey { get; set; } = "";

    public List<TokenSettings> Tokens { get; set; } = [];

    /// <summary>Creates and updates the schema at start. Off in production, where `lethe migrate` owns the schema.</summary>
    public bool CreateSchema { get; set; }

    /// <summary>How often the watchdog looks for commit-confirmed publishes that ran out of time.</summary>
    public double ConfirmCheckSeconds { get; set; } = 5;

    /// <summary>
    /// What specialtarget=dns means in publish-time policy tests; <see cref="QubesResolvers"/> when
    /// none is configured. Empty here, because the configuration binder adds configured entries to a
    /// list's initial ones rather than putting them in their place.
    /// </summary>
    public List<string> DnsResolvers { get; set; } = [];

    /// <summary>The DNS servers Qubes OS gives its qubes.</summary>
    public static readonly IReadOnlyList<string> QubesResolvers = ["10.139.1.1", "10.139.1.2"];

    /// <exception cref="InvalidOperationException">An entry is not an IP address; names the setting.</exception>
    public IPAddress[] ResolverAddresses()
    {
        var configured = DnsResolvers.Count == 0 ? QubesResolvers : DnsResolvers;
        var addresses = new IPAddress[configured.Count];
        for (var i = 0; i < configured.Count; i++)
        {
            addresses[i] = RuleParser.ParseAddress(configured[i].Trim())
                ?? throw new InvalidOperationException($"Lethe:DnsResolvers:{i}: {Lethe.Domain.QuotedText.QuoteSafe(configured[i])} is not an IPv4 or IPv6 address");
        }
        return addresses;
    }
}

public sealed class TokenSettings
{
    public string Token { get; set; } = "";

    public string Actor { get; set; } = "";

    /// <summary>viewer (read), editor (change and publish) or admin (keys, and everything else).</summary>
    public string Role { get; set; } = "viewer";
}
