using System.Net;

namespace Lethe.Application.Common;

public sealed class ControlPlaneOptions
{
    /// <summary>
    /// What specialtarget=dns means in publish-time policy tests. The default is the pair of
    /// virtual DNS addresses Qubes gives every qube.
    /// </summary>
    public IReadOnlyList<IPAddress> DnsResolvers { get; set; } = [IPAddress.Parse("10.139.1.1"), IPAddress.Parse("10.139.1.2")];
}
