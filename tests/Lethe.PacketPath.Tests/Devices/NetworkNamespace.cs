using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// A network namespace of the test's own (<c>ip netns add lethe-tRUN-RANDOM</c>, RUN from scripts/test), deleted on dispose.
/// <see cref="Enter{T}"/> runs code on a thread that has setns()'d into it, so TUN devices and
/// sockets made there belong to the namespace and keep it after the thread returns.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000;

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>
    /// "lethe-tRUN": scripts/test names its run, and deletes that run's namespaces (and root-namespace
    /// devices with this alias) when it ends, even when the test hosts were killed before they could.
    /// </summary>
    public static string RunTag { get; } =
        "lethe-t" + (Environment.GetEnvironmentVariable("LETHE_TEST_RUN") is { Length: > 0 and <= 10 } id && id.All(char.IsAsciiDigit) ? id : "");

    public static NetworkNamespace Create()
    {
        var name = $"{RunTag}-{Random.Shared.Next():x8}";
        Command.Run("ip", "netns", "add", name);
        return new NetworkNamespace(name);
    }

    /// <summary><c>ip -n NAME ARGS</c>.</summary>
    public string Ip(params string[] arguments) => Command.Run("ip", ["-n", Name, .. arguments]);

    /// <summary>Runs <paramref name="action"/> on a fresh thread inside the namespace and returns its result or rethrows its exception.</summary>
    public T Enter<T>(Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = InNamespace(action);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        });
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    private T InNamespace<T>(Func<T> action)
    {
        var home = OpenOrThrow("/proc/thread-self/ns/net");
        try
        {
            var target = OpenOrThrow($"/var/run/netns/{Name}");
            try
            {
                SetNamespaceOrThrow(target, Name);
            }
            finally
            {
                close(target);
            }
            try
            {
                return action();
            }
            finally
            {
                // The thread ends here anyway; going home keeps it from leaking the namespace into anything it runs later.
                SetNamespaceOrThrow(home, "the test's own");
            }
        }
        finally
        {
            close(home);
        }
    }

    public void Dispose() => Command.TryRun("ip", "netns", "delete", Name);

    private static int OpenOrThrow(string path)
    {
        var fd = open(path, ORdOnly | OCloExec);
        return fd >= 0 ? fd : throw new IOException($"open {path}: errno {Marshal.GetLastPInvokeError()}");
    }

    private static void SetNamespaceOrThrow(int fd, string what)
    {
        if (setns(fd, CloneNewNet) != 0)
        {
            throw new IOException($"setns into the {what} network namespace: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    // DllImport, not LibraryImport: this project does not allow unsafe code, and tests are not trimmed.
    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    [DllImport("libc")]
    private static extern int close(int fd);
}
