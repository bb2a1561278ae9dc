using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Lethe.Control.Server;

/// <summary>
/// ASP.NET's data-protection key ring, kept in memory. The control plane protects nothing with it (its
/// bearer tokens are compared, never encrypted), but registering authentication brings it in, and its
/// hosted service makes a key at start: by default a file under $HOME/.aspnet/DataProtection-Keys,
/// with a warning that the key is stored unencrypted, which sent operators looking for a secret Lethe
/// does not have (and in a container, one more about keys lost with it). A key that protects nothing
/// needs no encryption and may go with the process.
/// </summary>
public sealed class MemoryKeyRing : IXmlRepository
{
    private readonly List<XElement> elements = [];

    public static void Use(KeyManagementOptions options)
    {
        options.XmlRepository = new MemoryKeyRing();
        options.XmlEncryptor = new NullXmlEncryptor();
    }

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        lock (elements)
        {
            return elements.Select(e => new XElement(e)).ToArray();
        }
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        lock (elements)
        {
            elements.Add(new XElement(element));
        }
    }
}
