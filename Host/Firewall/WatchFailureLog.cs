using System.Globalization;

namespace Lethe.Firewall;

/// <summary>
/// Which failed rounds of the snapshot watch are worth a line. The watch asks every round, so a
/// control plane down for a day would otherwise write one line a round (17,000 a day at 5 s). The
/// first failure is said in full; the same one again only as a reminder 1, 2, 4, 8, then every 10
/// minutes after the last line about it; a different one at once; and the first round that gets an
/// answer after failures says so, once. Pure: the watch hands in the time of each round.
/// </summary>
public sealed class WatchFailureLog
{
    public static readonly TimeSpan FirstReminder = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan LongestQuiet = TimeSpan.FromMinutes(10);

    private string? _last;
    private int _rounds;
    private TimeSpan _since;
    private TimeSpan _saidAt;
    private TimeSpan _quiet;

    /// <summary>A round failed, for the reason <paramref name="why"/> (its text is its kind), at <paramref name="now"/>.</summary>
    /// <returns>The line to log, or null while the same failure was said recently.</returns>
    public string? Failed(string why, TimeSpan now)
    {
        if (_rounds++ == 0)
        {
            _since = now;
        }
        if (why != _last)
        {
            // A failure not seen in the last round tells the operator something new: at once, in full.
            _last = why;
            return Said(now, FirstReminder, why);
        }
        if (now - _saidAt < _quiet)
        {
            return null;
        }
        var next = _quiet * 2 < LongestQuiet ? _quiet * 2 : LongestQuiet;
        return Said(now, next, $"still failing after {Duration(now - _since)} ({_rounds} rounds in a row): {why}");
    }

    /// <summary>A round got an answer from the control plane (even one refused afterwards) at <paramref name="now"/>.</summary>
    /// <returns>The line saying the failures ended, or null when the last round did not fail.</returns>
    public string? Answered(TimeSpan now)
    {
        if (_rounds == 0)
        {
            return null;
        }
        var line = $"the control plane answers again after {_rounds} failed round{(_rounds == 1 ? "" : "s")} over {Duration(now - _since)}";
        _rounds = 0;
        _last = null;
        return line;
    }

    private string Said(TimeSpan now, TimeSpan quietFor, string line)
    {
        _saidAt = now;
        _quiet = quietFor;
        return line;
    }

    /// <summary>How long, as a person would say it: "0.4s", "12s", "3m 5s", "2h 10m", "1d 4h".</summary>
    public static string Duration(TimeSpan span)
    {
        if (span.TotalSeconds < 10)
        {
            return Math.Round(span.TotalSeconds, 1).ToString("0.#", CultureInfo.InvariantCulture) + "s";
        }
        var seconds = (long)span.TotalSeconds;
        return seconds switch
        {
            < 60 => $"{seconds}s",
            < 3600 => $"{seconds / 60}m {seconds % 60}s",
            < 86400 => $"{seconds / 3600}h {seconds % 3600 / 60}m",
            _ => $"{seconds / 86400}d {seconds % 86400 / 3600}h",
        };
    }
}
