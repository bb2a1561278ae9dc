namespace Lethe.PacketPath;

/// <summary>Names this assembly for the layer tests until the packet path (issue 3) fills it.</summary>
public static class PacketPathAssembly;
