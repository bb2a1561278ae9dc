using System.Globalization;
using Lethe.PacketPath.Forwarding;

namespace Lethe.Firewall;

/// <summary>
/// <c>boot --log-drops N</c>: once a second, writes the packets the workers dropped since the last time,
/// oldest first, at most N lines; the rest, and those a worker could not note because its ring was
/// full, are counted in one more line. A flood of refused packets thus costs the log N + 1 lines a
/// second, and the workers a counter each.
/// </summary>
public sealed class DropLogPrinter(IReadOnlyList<DropLog> logs, int perSecond, TextWriter output)
{
    /// <summary>The most lines a second <c>--log-drops</c> takes: a log is read by people, and each line costs the reader's CPU too.</summary>
    public const int MaxPerSecond = DropLog.MaxCapacity;

    private readonly long[] _missedSeen = new long[logs.Count];

    public async Task Run(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                Print();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping: the caller prints the last second's drops once the workers have stopped.
        }
    }

    /// <summary>Writes what the workers noted since the last call.</summary>
    public void Print()
    {
        var taken = new List<DropRecord>();
        long unlogged = 0;
        for (var w = 0; w < logs.Count; w++)
        {
            while (logs[w].TryTake(out var drop))
            {
                taken.Add(drop);
            }
            var missed = logs[w].Missed;
            unlogged += missed - _missedSeen[w];
            _missedSeen[w] = missed;
        }
        // Each worker's drops are in order already; stable, so they stay so within a millisecond.
        var shown = 0;
        foreach (var drop in taken.OrderBy(d => d.AtMs))
        {
            if (shown == perSecond)
            {
                break;
            }
            output.WriteLine(DropLine.Of(drop));
            shown++;
        }
        unlogged += taken.Count - shown;
        if (unlogged > 0)
        {
            output.WriteLine($"drop log: {unlogged.ToString("N0", CultureInfo.InvariantCulture)} more dropped packet(s) not logged " +
                $"(--log-drops {perSecond}: at most {perSecond} line(s) a second)");
        }
    }
}
