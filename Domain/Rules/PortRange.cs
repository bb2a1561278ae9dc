namespace Lethe.Domain.Rules;

public readonly record struct PortRange(int Low, int High)
{
    public bool Contains(int port) => port >= Low && port <= High;

    /// <summary>QubesDB always carries the range form, even for one port.</summary>
    public override string ToString() => $"{Low}-{High}";
}
