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

    /// <summary>What specialtarget=dns means in publish-time policy tests.</summary>
    public List<string> DnsResolvers { get; set; } = ["10.139.1.1", "10.139.1.2"];
}

public sealed class TokenSettings
{
    public string Token { get; set; } = "";

    public string Actor { get; set; } = "";

    /// <summary>viewer (read), editor (change and publish) or admin (keys, and everything else).</summary>
    public string Role { get; set; } = "viewer";
}
