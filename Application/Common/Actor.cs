namespace Lethe.Application.Common;

/// <summary>
/// The authenticated identity behind the current request, set by the host from the bearer token
/// (never from anything the client sends) or by the confirmation watchdog for its own reverts.
/// </summary>
public sealed class Actor
{
    public string Name { get; set; } = "anonymous";

    public string CorrelationId { get; set; } = Guid.NewGuid().ToString("N");
}
