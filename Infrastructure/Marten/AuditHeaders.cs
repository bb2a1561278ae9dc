namespace Lethe.Infrastructure.Marten;

public static class AuditHeaders
{
    /// <summary>The event header that carries the operator's reason.</summary>
    public const string Reason = "reason";
}
