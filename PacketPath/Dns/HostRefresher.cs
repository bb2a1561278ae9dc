using Lethe.PacketPath.Classification;

namespace Lethe.PacketPath.Dns;

/// <summary>
/// Keeps a <see cref="HostTable"/> up to date for every name of its <see cref="HostTable.Names"/>,
/// in memory, each address family of each name (its A records, its AAAA records) on a schedule of its own.
/// <list type="bullet">
/// <item><see cref="RefreshAll"/> asks every name for both families (at boot); <see cref="Run"/> then
/// asks each family of each name again when that family's TTL runs out, sleeping on the
/// <see cref="TimeProvider"/> until the next one is due. <see cref="Run"/> alone also works: every
/// family of every name starts out due.</item>
/// <item>"Due" counts the time the machine spent suspended (<see cref="BootClock"/>, unless another
/// <see cref="TimeProvider"/> is given): a sleep is at most <see cref="LongestSleep"/> of the timers' time,
/// which stands still during a suspend, so after a resume every family whose TTL ran out meanwhile is
/// asked within <see cref="LongestSleep"/>, not a TTL later.</item>
/// <item>Answered: the family's addresses are published (an empty set when the name has none of that
/// family) and the family is due again after its TTL, clamped to [<see cref="MinimumTtl"/>,
/// <see cref="MaximumTtl"/>].</item>
/// <item>NXDOMAIN: the family is published as resolved to nothing, due again after its (clamped)
/// negative TTL.</item>
/// <item>Failed: the family is left as it is, so one that resolved before keeps its previous answer
/// (stale addresses are better than a blocked client) and one that never resolved stays unresolved
/// (absent, which section 4 of the rule-format reference turns into "accept rules with it match
/// nothing, drop rules with it block the client", for that family). It is asked again after
/// <see cref="FailureRetry"/>. The other family of the name is neither waited for nor moved: where
/// AAAA queries go unanswered, the A answer is still refreshed when its own TTL runs out.</item>
/// <item>Every family's answer is reported to the callback, on a worker thread, with how long until
/// that family is asked again (the clamped TTL, or <see cref="FailureRetry"/>: not the answer's own
/// TTL); an exception the callback throws is swallowed so that refreshing never stops.</item>
/// <item>Each family of each name is handed to the resolver as it falls due, whatever the other
/// lookups still wait for (those due at once in order, those never answered for that family first:
/// a name unresolved over IPv6 is asked for AAAA ahead of the names whose AAAA answer only needs
/// refreshing), and is not asked again while its lookup runs; the resolver bounds how many it asks at
/// a time (<see cref="DnsResolver"/>: for each family apart, so AAAA queries that go unanswered do
/// not hold back the A queries behind them).</item>
/// </list>
/// "Previous answer" means what the table holds, so a refresher started on a new table that was
/// filled by <see cref="HostTable.CopyFrom"/> after a policy swap keeps the old answers through
/// failures as well. Given the refresher of the table before, it also keeps that one's schedule,
/// family by family, for the names both hold with an answer for either family (a family unanswered
/// in both is asked again when that schedule says, after <see cref="FailureRetry"/>), so a swap asks
/// only about the names it has no answer for, and asks them first: a swap waits for them
/// (<see cref="FirstAnswers"/>), and re-asking dozens of names it already knows ahead of them could
/// outlast that wait. A name the table before asked without any answer either keeps its retry
/// schedule, is asked after those, and is not waited for.
/// <see cref="RefreshAll"/> and <see cref="Run"/> must not run at the same time.
/// </summary>
public sealed class HostRefresher
{
    public static readonly TimeSpan MinimumTtl = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaximumTtl = TimeSpan.FromDays(1);
    public static readonly TimeSpan FailureRetry = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest <see cref="Run"/> sleeps before it looks at the clock again: how late, after a resume, the
    /// names whose TTL ran out during the suspend are asked. An awake machine only wakes this often
    /// to find nothing due (a scan of the due times: microseconds).
    /// </summary>
    public static readonly TimeSpan LongestSleep = TimeSpan.FromSeconds(5);

    private readonly IDnsResolver _resolver;
    private readonly TimeProvider _time;
    private readonly Action<string, bool, DnsAnswer, TimeSpan>? _report;

    // The arrays below hold one entry per family of each name, a "lookup": 2 × id for A, 2 × id + 1 for AAAA.

    /// <summary>When each lookup is due, as <see cref="TimeProvider.GetTimestamp"/> values; long.MinValue: now.</summary>
    private readonly long[] _due;

    /// <summary>
    /// The lookups of the names without an answer for either family when it started (but for those the
    /// table before had none for either), until each has been asked once.
    /// </summary>
    private readonly bool[] _awaitingFirst;

    private int _awaitingCount;

    /// <summary>The lookups <see cref="Run"/> is running now.</summary>
    private readonly bool[] _inFlight;

    /// <summary>When <see cref="Run"/> wakes next, as a timestamp (long.MaxValue: while it looks for lookups due, or when none is).</summary>
    private long _sleepingUntil = long.MaxValue;

    /// <summary>Completed to wake <see cref="Run"/> before <see cref="_sleepingUntil"/>; one per sleep.</summary>
    private TaskCompletionSource? _woken;

    private readonly TaskCompletionSource _firstAnswers = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="previous">The refresher of the table <paramref name="table"/> was copied from: a family of a
    /// name both hold, the name answered in <paramref name="table"/> for either family and that family with the
    /// answer it has there now, is due when it was due there.</param>
    /// <param name="report">Given each name, whether the answer is its AAAA one, the answer, and how long until
    /// that family is asked again.</param>
    public HostRefresher(HostTable table, IDnsResolver resolver, Action<string, bool, DnsAnswer, TimeSpan>? report = null,
        TimeProvider? timeProvider = null, HostRefresher? previous = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(resolver);
        Table = table;
        _resolver = resolver;
        _report = report;
        _time = timeProvider ?? BootClock.Instance;
        _due = new long[2 * table.Names.Count];
        Array.Fill(_due, long.MinValue);
        _awaitingFirst = new bool[_due.Length];
        _inFlight = new bool[_due.Length];
        for (var id = 0; id < table.Names.Count; id++)
        {
            var old = previous?.Table.Names.IdOf(table.Names[id]) ?? -1;
            // A name the table before held and asked without any answer either (its servers down, say) keeps
            // its retry schedule and is not waited for: the wait and the first resolver slots go to the
            // names this version brings, which would otherwise queue behind its unanswered tries.
            var unansweredBefore = old >= 0 && !table.HasAnswer(id) && !previous!.Table.HasAnswer(old);
            foreach (var v6 in (ReadOnlySpan<bool>)[false, true])
            {
                if (!table.HasAnswer(id) && !unansweredBefore)
                {
                    _awaitingFirst[Lookup(id, v6)] = true;
                    _awaitingCount++;
                }
                else if (old >= 0 && SameAnswer(table, id, previous!.Table, old, v6))
                {
                    _due[Lookup(id, v6)] = Volatile.Read(ref previous._due[Lookup(old, v6)]);
                }
            }
        }
        if (_awaitingCount == 0)
        {
            _firstAnswers.TrySetResult();
        }
    }

    public HostTable Table { get; }

    private static int Lookup(int id, bool v6) => 2 * id + (v6 ? 1 : 0);

    /// <summary>
    /// Whether the copy holds, for one family, the answer the table it was copied from holds now: one that
    /// landed there after the copy is not in it (a new answer, other addresses, resolved to nothing), and
    /// inheriting its schedule (up to a day) would keep the copy's older answer all that time.
    /// </summary>
    private static bool SameAnswer(HostTable copy, int id, HostTable from, int fromId, bool v6) =>
        copy.IsResolved(id, v6) == from.IsResolved(fromId, v6) && copy.Answers(id, v6).SequenceEqual(from.Answers(fromId, v6));

    /// <summary>
    /// Completes once every name the table had no answer for (in either family) when this refresher
    /// started, but for those the table before had none for either (their servers down: they keep
    /// their retry schedule), has been asked once (both families, whatever the answers), or once it has stopped: what
    /// boot and a policy swap wait for, so that a name new to the policy is not judged unresolved only
    /// because nobody asked yet. A name answered for one family only was asked already, and is not
    /// waited for.
    /// </summary>
    public Task FirstAnswers => _firstAnswers.Task;

    /// <summary>Clamps a TTL to [<see cref="MinimumTtl"/>, <see cref="MaximumTtl"/>].</summary>
    public static TimeSpan ClampTtl(TimeSpan ttl) => ttl < MinimumTtl ? MinimumTtl : ttl > MaximumTtl ? MaximumTtl : ttl;

    /// <summary>How long until either family of <paramref name="name"/> is asked again (zero when due); null for a name the table does not hold.</summary>
    public TimeSpan? TimeUntilRefresh(string name) =>
        TimeUntilRefresh(name, v6: false) is { } v4 && TimeUntilRefresh(name, v6: true) is { } v6 ? (v4 < v6 ? v4 : v6) : null;

    /// <summary>How long until one family of <paramref name="name"/> is asked again (zero when due); null for a name the table does not hold.</summary>
    public TimeSpan? TimeUntilRefresh(string name, bool v6)
    {
        var id = Table.Names.IdOf(name);
        if (id < 0)
        {
            return null;
        }
        var due = Volatile.Read(ref _due[Lookup(id, v6)]);
        var now = _time.GetTimestamp();
        return due <= now ? TimeSpan.Zero : _time.GetElapsedTime(now, due);
    }

    /// <summary>Resolves every name now, both families. Throws only when <paramref name="ct"/> is cancelled.</summary>
    /// <remarks>No slot is held per name: a name whose AAAA query goes unanswered would hold one through every try, long after its A answer was published.</remarks>
    public Task RefreshAll(CancellationToken ct) =>
        Task.Run(() => Task.WhenAll(Enumerable.Range(0, _due.Length).Select(lookup => RefreshOne(lookup, ct)).ToArray()), CancellationToken.None);

    /// <summary>
    /// Re-resolves each family of each name as it falls due, until <paramref name="ct"/> is cancelled; then
    /// the task completes (normally), once no lookup it started is still running.
    /// </summary>
    /// <remarks>
    /// Each lookup is started when it falls due and not held back by the others: an AAAA query that
    /// waits out every try (8 s with two resolvers), behind dozens of others doing the same, would
    /// otherwise keep the A answer of its name, or a name with a TTL of 30 s, from being asked again
    /// until the slowest was done. A lookup is run by one task at a time; the resolver bounds how many
    /// it asks at once.
    /// </remarks>
    public Task Run(CancellationToken ct) => Task.Run(() => RunLoop(ct), CancellationToken.None); // a swap starts it under its lock

    private async Task RunLoop(CancellationToken ct)
    {
        var refreshing = new Task?[_due.Length];
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var woken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _woken, woken);
                Interlocked.Exchange(ref _sleepingUntil, long.MaxValue); // a lookup ending during the pass wakes the sleep after it
                var now = _time.GetTimestamp();
                var next = long.MaxValue;
                // First both families of the names awaited (what a swap waits for), then the
                // families never answered for (an AAAA that goes unanswered for ever would otherwise take
                // the resolver's slots ahead of a new name), then the rest.
                for (var pass = 0; pass < 3; pass++)
                {
                    for (var lookup = 0; lookup < _due.Length; lookup++)
                    {
                        if (Volatile.Read(ref _inFlight[lookup]))
                        {
                            continue;
                        }
                        var at = Volatile.Read(ref _due[lookup]);
                        if (at > now)
                        {
                            next = Math.Min(next, at);
                        }
                        else if (Rank(lookup) <= pass)
                        {
                            Volatile.Write(ref _inFlight[lookup], true);
                            refreshing[lookup] = RefreshDue(lookup, ct);
                        }
                    }
                }
                Interlocked.Exchange(ref _sleepingUntil, next);
                // Nothing due (every lookup running): the lookups' ends wake the loop, a resume or not.
                var sleep = next == long.MaxValue ? Timeout.InfiniteTimeSpan : _time.GetElapsedTime(now, next);
                if (sleep > LongestSleep)
                {
                    sleep = LongestSleep; // the timers stop during a suspend, the clock does not
                }
                await woken.Task.WaitAsync(sleep, _time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            foreach (var task in refreshing)
            {
                if (task is not null)
                {
                    await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // cancelled with ct
                }
            }
            _firstAnswers.TrySetResult();
        }
    }

    /// <summary>0: a name awaited (<see cref="FirstAnswers"/>); 1: a family never answered for; 2: an answer to refresh.</summary>
    private int Rank(int lookup) =>
        Volatile.Read(ref _awaitingFirst[lookup]) ? 0 : !Table.IsResolved(lookup / 2, v6: lookup % 2 == 1) ? 1 : 2;

    /// <summary>Runs a lookup <see cref="RunLoop"/> started; once done, wakes the loop if it sleeps past the lookup's new due time.</summary>
    private async Task RefreshDue(int lookup, CancellationToken ct)
    {
        try
        {
            await RefreshOne(lookup, ct).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _inFlight[lookup], false);
            Interlocked.MemoryBarrier(); // the loop sets _sleepingUntil before it reads _inFlight: one of the two sees the other
            if (Volatile.Read(ref _due[lookup]) < Volatile.Read(ref _sleepingUntil))
            {
                Volatile.Read(ref _woken)?.TrySetResult();
            }
        }
    }

    private async Task RefreshOne(int lookup, CancellationToken ct)
    {
        var name = Table.Names[lookup / 2];
        var v6 = lookup % 2 == 1;
        DnsAnswer answer;
        try
        {
            answer = await _resolver.Resolve(name, v6, ct).ConfigureAwait(false) ?? DnsAnswer.Failure("no answer");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            answer = DnsAnswer.Failure($"resolver error: {e.Message}");
        }

        TimeSpan wait;
        switch (answer.Outcome)
        {
            case DnsOutcome.Resolved:
                Table.Set(name, answer.Addresses ?? [], v4: !v6, v6: v6);
                wait = ClampTtl(answer.Ttl);
                break;
            case DnsOutcome.NameError:
                Table.Set(name, [], v4: !v6, v6: v6);
                wait = ClampTtl(answer.Ttl);
                break;
            default:
                wait = FailureRetry;
                break;
        }
        Volatile.Write(ref _due[lookup], _time.GetTimestamp() + ToTimestampDelta(wait));
        if (_awaitingFirst[lookup])
        {
            _awaitingFirst[lookup] = false; // one task at a time runs a lookup
            if (Interlocked.Decrement(ref _awaitingCount) == 0)
            {
                _firstAnswers.TrySetResult();
            }
        }

        try
        {
            _report?.Invoke(name, v6, answer, wait);
        }
        catch (Exception)
        {
            // The host's printing must not stop the refreshing.
        }
    }

    private long ToTimestampDelta(TimeSpan span) => (long)((Int128)span.Ticks * _time.TimestampFrequency / TimeSpan.TicksPerSecond);
}
