using System.Globalization;

namespace Lethe.Bench.ControlPlane;

/// <summary>Order statistics over a set of timings in milliseconds (nearest-rank percentiles).</summary>
public sealed class Stats
{
    private readonly double[] _sorted;

    public Stats(IEnumerable<double> samples)
    {
        _sorted = samples.OrderBy(x => x).ToArray();
        if (_sorted.Length == 0)
        {
            throw new InvalidOperationException("no samples");
        }
    }

    public int Count => _sorted.Length;

    public double Min => _sorted[0];

    public double Max => _sorted[^1];

    public double Mean => _sorted.Average();

    public double Median => Percentile(50);

    public double P95 => Percentile(95);

    public double P99 => Percentile(99);

    public double Percentile(double p)
    {
        var rank = (int)Math.Ceiling(p / 100.0 * _sorted.Length);
        return _sorted[Math.Clamp(rank - 1, 0, _sorted.Length - 1)];
    }

    public static string Ms(double ms) => ms.ToString(ms >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
}
