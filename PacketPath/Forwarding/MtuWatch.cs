using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// Follows the MTU of every device: once before the workers start and then every
/// <see cref="Interval"/>, on a thread of its own, because a device the firewall created is
/// configured (MTU included) in its client's namespace after boot, and an operator may change it
/// at any time. A device whose MTU cannot be read where it is at boot (a firewall without
/// CAP_NET_ADMIN, say) keeps the MTU read by its name when it was opened, and is not looked at
/// again. One that could be read and then cannot (a netlink answer late under load, the device
/// between two namespaces) keeps its last MTU and is tried again every <see cref="Interval"/>.
/// </summary>
internal sealed class MtuWatch : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FirstPassTimeout = TimeSpan.FromSeconds(5);

    private readonly AttachedDevice[] _devices;
    private readonly DeviceMtus _mtus;
    private readonly bool[] _followed;
    private readonly bool[] _unread;
    private readonly ManualResetEventSlim _firstPass = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private Action<string> _log = _ => { };
    private bool _started;

    public MtuWatch(AttachedDevice[] devices, DeviceMtus mtus)
    {
        _devices = devices;
        _mtus = mtus;
        _followed = new bool[devices.Length];
        _unread = new bool[devices.Length];
        _thread = new Thread(Run) { IsBackground = true, Name = "lethe-mtu-watch" };
    }

    /// <summary>Starts the thread and returns once every device's MTU has been read (or after a few seconds at most).</summary>
    public void Start(Action<string>? log)
    {
        _log = log ?? _log;
        _started = true;
        _thread.Start();
        _firstPass.Wait(FirstPassTimeout);
    }

    private void Run()
    {
        try
        {
            using var reader = new DeviceMtuReader();
            FirstPass(reader);
            while (!_stop.Token.WaitHandle.WaitOne(Interval))
            {
                Follow(reader);
            }
        }
        catch (IOException e)
        {
            _log($"device MTUs are not followed: {e.Message}");
        }
        finally
        {
            _firstPass.Set();
        }
    }

    private void FirstPass(DeviceMtuReader reader)
    {
        for (var d = 0; d < _devices.Length; d++)
        {
            var device = _devices[d].Device;
            if (reader.TryRead(device, out var mtu, out var problem))
            {
                _followed[d] = true;
                _mtus.Set(d, mtu);
                continue;
            }
            _mtus.Set(d, AtOpening(device));
            _log($"device {device.Name}: MTU {Describe(_mtus[d])}, not followed ({problem})");
        }
        _firstPass.Set();
    }

    private void Follow(DeviceMtuReader reader)
    {
        for (var d = 0; d < _devices.Length; d++)
        {
            if (!_followed[d])
            {
                continue;
            }
            var device = _devices[d].Device;
            var before = _mtus[d];
            if (!reader.TryRead(device, out var mtu, out var problem))
            {
                // A device really gone stops the firewall through the worker that reads it; anything
                // else may pass, so it is tried again next time, and said once.
                if (!_unread[d])
                {
                    _unread[d] = true;
                    _log($"device {device.Name}: MTU cannot be read now ({problem}); keeping {Describe(before)} and trying again");
                }
                continue;
            }
            if (_unread[d])
            {
                _unread[d] = false;
                _log($"device {device.Name}: MTU read again");
            }
            if (_mtus.Set(d, mtu))
            {
                _log($"device {device.Name}: MTU {before} -> {mtu}");
            }
        }
    }

    /// <summary>By name, in this namespace: right when the device was just opened here, which is when a firewall without privileges attaches.</summary>
    private static int AtOpening(TunDevice device)
    {
        try
        {
            return device.Mtu;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return 0;
        }
    }

    private static string Describe(int mtu) => mtu > 0 ? $"{mtu}" : "unknown (the default 1500 applies)";

    public void Dispose()
    {
        _stop.Cancel();
        if (_started)
        {
            _thread.Join();
        }
        _stop.Dispose();
        _firstPass.Dispose();
    }
}
