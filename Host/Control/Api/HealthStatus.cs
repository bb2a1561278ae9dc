namespace Lethe.Control.Api;

/// <summary>What GET /health answers while the process serves HTTP; it never asks the database.</summary>
public sealed record HealthStatus(string Status)
{
    public static readonly HealthStatus Serving = new("ok");
}
