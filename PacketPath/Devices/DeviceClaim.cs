using System.Net.Sockets;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// This process's claim on a device name in its network namespace: an abstract Unix socket bound to a
/// name made from it, which the kernel lets one socket hold and drops when the process goes. Nothing is
/// written anywhere.
/// </summary>
/// <remarks>
/// A persistent device created beforehand outlives every process, so existing does not tell whether
/// another firewall serves it; attaching a second one would split the flows between two tables. Any
/// process of the namespace may bind an abstract name, though, so the holder is asked who it is
/// (SO_PEERCRED): only root or this process's user can be a firewall serving a device made for it, and
/// a name held by anyone else does not stop the firewall from coming up.
/// </remarks>
public sealed class DeviceClaim : IDisposable
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    private readonly Socket? _socket;

    private DeviceClaim(Socket? socket, string? warning)
    {
        _socket = socket;
        Warning = warning;
    }

    /// <summary>Why the name could not be claimed though the device was still opened, or null when it was claimed.</summary>
    public string? Warning { get; }

    /// <exception cref="IOException">Root or this user holds the claim: another firewall may serve the device.</exception>
    public static DeviceClaim Take(string name)
    {
        var address = new UnixDomainSocketEndPoint("\0lethe-firewall/tun/" + name);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(address);
            socket.Listen(8);
            _ = Answer(socket);
            return new DeviceClaim(socket, null);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        if (Holder(address) is not { } holder)
        {
            return new DeviceClaim(null,
                $"the name's claim is held by a process that does not answer as a lethe-firewall does; going on without it");
        }
        if (holder.Uid == 0 || holder.Uid == Libc.GetEuid())
        {
            throw new IOException($"{name} is served by another lethe-firewall in this network namespace (pid {holder.Pid}); stop it or give another name");
        }
        return new DeviceClaim(null,
            $"the name's claim is held by pid {holder.Pid} of uid {holder.Uid}, neither root nor this user, so no firewall serving a device made for them; going on without it");
    }

    public void Dispose() => _socket?.Dispose();

    /// <summary>Accepts and closes whatever connects, so the backlog never fills and every probe learns who holds the name.</summary>
    private static async Task Answer(Socket socket)
    {
        try
        {
            while (true)
            {
                using var probe = await socket.AcceptAsync();
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // The claim was given up.
        }
    }

    /// <summary>The process and user holding <paramref name="address"/>, or null when it does not listen.</summary>
    private static (int Pid, uint Uid)? Holder(UnixDomainSocketEndPoint address)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
        try
        {
            probe.Connect(address);
        }
        catch (SocketException)
        {
            return null;
        }
        // struct ucred: pid, uid, gid, as the listener was when it called listen().
        Span<byte> credentials = stackalloc byte[12];
        if (probe.GetRawSocketOption(SolSocket, SoPeerCred, credentials) < 12)
        {
            return null;
        }
        return (BitConverter.ToInt32(credentials[..4]), BitConverter.ToUInt32(credentials[4..8]));
    }
}
