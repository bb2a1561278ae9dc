using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// A NETLINK_ROUTE socket of the network namespace of the thread that opens it, asked one request at
/// a time. One socket is used by one thread at a time.
/// </summary>
internal sealed unsafe class RtnetlinkSocket : IDisposable
{
    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int NetlinkRoute = 0;
    private const int SolSocket = 1;
    private const int SoRcvTimeo = 20;

    private readonly SafeFileHandle _socket;
    private readonly byte[] _answer = new byte[32 * 1024];

    /// <exception cref="IOException">The socket could not be opened.</exception>
    public RtnetlinkSocket()
    {
        var fd = Libc.Socket(AfNetlink, SockRaw | Libc.SockCloExec, NetlinkRoute);
        if (fd < 0)
        {
            throw Libc.Failure("socket(AF_NETLINK, NETLINK_ROUTE)", Marshal.GetLastPInvokeError());
        }
        _socket = new SafeFileHandle(fd, ownsHandle: true);
        // An answer comes at once or not at all; a second is plenty and keeps a lost one from hanging the caller.
        var timeout = stackalloc long[2] { 1, 0 };
        if (Libc.SetSockOpt(fd, SolSocket, SoRcvTimeo, timeout, 2 * sizeof(long)) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _socket.Dispose();
            throw Libc.Failure("setsockopt(SO_RCVTIMEO) on the netlink socket", errno);
        }
    }

    /// <summary>
    /// Sends <paramref name="request"/> and waits for the answer of <paramref name="expected"/> type
    /// (for an acknowledgement: an error message with errno 0); a refusal gives the kernel's errno.
    /// The answer lives in this socket's buffer until the next request.
    /// </summary>
    public bool TryAsk(ReadOnlySpan<byte> request, uint sequence, ushort expected, out ReadOnlySpan<byte> answer, out string problem, out int kernelErrno)
    {
        answer = default;
        kernelErrno = 0;
        var fd = (int)_socket.DangerousGetHandle();
        fixed (byte* bytes = request)
        {
            if (Libc.Send(fd, bytes, (nuint)request.Length, 0) < 0)
            {
                problem = Libc.Failure("send", Marshal.GetLastPInvokeError()).Message;
                return false;
            }
        }
        while (true)
        {
            nint received;
            fixed (byte* buffer = _answer)
            {
                received = Libc.Recv(fd, buffer, (nuint)_answer.Length, 0);
            }
            if (received < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EIntr)
                {
                    continue;
                }
                problem = Libc.Failure("recv", errno).Message;
                return false;
            }
            if (!NetlinkMessage.TryFindAnswer(_answer.AsSpan(0, (int)received), sequence, out var message, out var type, out var error))
            {
                continue; // an answer to an earlier request that timed out
            }
            if (error != 0)
            {
                kernelErrno = error;
                problem = $"errno {error} ({Marshal.GetPInvokeErrorMessage(error)})";
                return false;
            }
            if (type != expected)
            {
                problem = $"an answer of type {type}, not {expected}";
                return false;
            }
            answer = message;
            problem = "";
            return true;
        }
    }

    public void Dispose() => _socket.Dispose();
}
