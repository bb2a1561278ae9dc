using System.Globalization;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>What /proc says about a thread's scheduling.</summary>
public static class ThreadStat
{
    public const int SchedOther = 0;
    public const int SchedIdle = 5;

    /// <summary>Field 3 of a stat file: R running, S sleeping (blocked in a wait), D, T, ...</summary>
    public static char State(string statPath)
    {
        var stat = File.ReadAllText(statPath);
        return stat[stat.LastIndexOf(')') + 2];
    }

    /// <summary>Field 41 of a stat file (/proc/thread-self/stat, /proc/PID/task/TID/stat): the scheduling policy.</summary>
    public static int Policy(string statPath)
    {
        var stat = File.ReadAllText(statPath);
        // The name in field 2 may hold spaces; the fields after its closing parenthesis start at 3.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[41 - 3], CultureInfo.InvariantCulture);
    }
}
