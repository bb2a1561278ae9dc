using System.Globalization;

namespace Lethe.Firewall;

/// <summary>
/// Which failed rounds of the snapshot watch are worth a line. The watch asks every round, so a
/// control plane down for a day would otherwise write one line a round (17,000 a day at 5 s). The
/// first failure is said in full; the same one again only as a reminder 1, 2, 4, 8, then every 10
/// minutes after the last line about it; one not yet said in this outage at once (each kind keeps its
/// own reminders, so two failures taking turns do not write a line a round); and the first round that
/// gets an answer after failures says so, once. Pure: the watch hands in the time of each round.
/// </summary>
public sealed class WatchFailureLog
{
    public static readonly TimeSpan FirstReminder = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan LongestQuiet = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Kinds said in one outage, at most this many: a failure whose text never repeats (it names a port, say)
    /// is said every round whatever is kept, so beyond these the oldest are forgotten rather than kept all day.
    /// </summary>
    private const int MostKinds = 8;

    /// <summary>Each kind of failure said in this outage: when its last line was, and how long it stays quiet after it.</summary>
    private readonly Dictionary<string, (TimeSpan SaidAt, TimeSpan Quiet)> _said = [];
    private int _rounds;
    private TimeSpan _since;

    /// <summary>A round failed, for the reason <paramref name="why"/> (its text is its kind), at <paramref name="now"/>.</summary>
    /// <returns>The line to log, or null while the same failure was said recently.</returns>
    public string? Failed(string why, TimeSpan now)
    {
        if (_rounds++ == 0)
        {
            _since = now;
        }
        if (!_said.TryGetValue(why, out var last))
        {
            // A failure not said in this outage tells the operator something new: at once, in full.
            if (_said.Count == MostKinds)
            {
                _said.Remove(_said.MinBy(kind => kind.Value.SaidAt).Key);
            }
            _said[why] = (now, FirstReminder);
            return why;
        }
        if (now - last.SaidAt < last.Quiet)
        {
            return null;
        }
        _said[why] = (now, last.Quiet * 2 < LongestQuiet ? last.Quiet * 2 : LongestQuiet);
        return $"still failing after {Duration(now - _since)} ({_rounds} rounds in a row): {why}";
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
        _said.Clear();
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
