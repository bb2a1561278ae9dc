namespace Lethe.PacketPath.Engine;

/// <summary>
/// Token buckets for the answers the firewall sends (ICMP errors, resets), one per sender of the
/// packets answered: each client, and the uplink. A flood of dropped packets cannot turn the
/// firewall into a flood of ICMP, and one client's refused traffic (a port scan, an app retrying a
/// blocked port) cannot use up the answers another client's refused connections need to fail at
/// once. Every answer goes back to the sender of its packet, so more buckets add no amplification.
/// </summary>
public sealed class ReplyRateLimiter
{
    private readonly int _perSecond;
    private readonly int _burst;

    // Zero means a full bucket that was never used, so the arrays of a client that never needs an
    // answer are never written: with 65,536 clients they stay untouched pages, not resident memory.
    private readonly float[] _spent;
    private readonly long[] _lastMs;

    /// <param name="clients">Client indexes the buckets cover (0 to this minus one); the uplink has one more.</param>
    public ReplyRateLimiter(int perSecond, int burst, int clients = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(clients);
        _perSecond = perSecond;
        _burst = burst;
        _spent = new float[clients + 1];
        _lastMs = new long[clients + 1];
    }

    /// <param name="sender">A client index, or <see cref="Ingress.Uplink"/>.</param>
    public bool TryTake(long nowMs, int sender)
    {
        var i = Slot(sender);
        var last = _lastMs[i];
        // A bucket never used has spent nothing, so its refill from time 0 changes nothing; no mark of
        // "unused" is needed, which a real time of 0 (a capture stamped from the epoch) would be taken for.
        if (nowMs > last)
        {
            _spent[i] = (float)Math.Max(0, _spent[i] - (nowMs - last) * _perSecond / 1000.0);
            _lastMs[i] = nowMs;
        }
        if (_burst - _spent[i] < 1)
        {
            return false;
        }
        _spent[i] += 1;
        return true;
    }

    /// <summary>Returns a token taken for an answer that was not sent after all.</summary>
    public void GiveBack(int sender)
    {
        var i = Slot(sender);
        _spent[i] = Math.Max(0, _spent[i] - 1);
    }

    /// <summary>The uplink's bucket is the last; a client index past the others (never given) shares it rather than failing.</summary>
    private int Slot(int sender) => (uint)sender < (uint)(_spent.Length - 1) ? sender : _spent.Length - 1;
}
