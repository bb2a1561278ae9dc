using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests.Nft;

/// <summary>`nft -f` inside a namespace: replaces the ruleset there (the script names its table), through a file, as users load it.</summary>
internal static class NftLoad
{
    public static void Into(NetworkNamespace ns, string script)
    {
        var file = Path.Combine(Path.GetTempPath(), "lethe-nft-" + Guid.NewGuid().ToString("N") + ".nft");
        File.WriteAllText(file, script);
        try
        {
            Command.Run("ip", "netns", "exec", ns.Name, NftCheck.Required, "-f", file);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
