namespace Lethe.PacketPath.Tests.Devices;

/// <summary>A theory with the needs of <see cref="LinuxRootFactAttribute"/>.</summary>
public sealed class LinuxRootTheoryAttribute : TheoryAttribute
{
    public LinuxRootTheoryAttribute() => Skip = LinuxRootFactAttribute.WhyNot();
}
