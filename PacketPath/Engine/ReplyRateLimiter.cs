namespace Lethe.PacketPath.Engine;

/// <summary>A token bucket, so a flood of dropped packets cannot turn the firewall into a flood of ICMP.</summary>
public sealed class ReplyRateLimiter(int perSecond, int burst)
{
    private double _tokens = burst;
    private long _lastMs = long.MinValue;

    public bool TryTake(long nowMs)
    {
        if (_lastMs != long.MinValue && nowMs > _lastMs)
        {
            _tokens = Math.Min(burst, _tokens + (nowMs - _lastMs) * perSecond / 1000.0);
        }
        _lastMs = Math.Max(_lastMs, nowMs);
        if (_tokens < 1)
        {
            return false;
        }
        _tokens -= 1;
        return true;
    }

    /// <summary>Returns a token taken for an answer that was not sent after all.</summary>
    public void GiveBack() => _tokens = Math.Min(burst, _tokens + 1);
}
