using Lethe.PacketPath.Classification;

namespace Lethe.PacketPath.Dns;

/// <summary>
/// Keeps a <see cref="HostTable"/> up to date for every name of its <see cref="HostTable.Names"/>,
/// in memory only.
/// <list type="bullet">
/// <item><see cref="RefreshAll"/> resolves every name (at boot); <see cref="Run"/> then re-resolves
/// each name when its TTL runs out, sleeping on the <see cref="TimeProvider"/> until the next one is
/// due. <see cref="Run"/> alone also works: every name starts out due.</item>
/// <item>Resolved: the addresses are published (an empty set when the name has no address of
/// either family) and the name is due again after its TTL, clamped to
/// [<see cref="MinimumTtl"/>, <see cref="MaximumTtl"/>]. When one family failed, only the other's
/// answer is published, the failed one is left as a failure leaves it (below), and the name is
/// due again after <see cref="FailureRetry"/>.</item>
/// <item>NXDOMAIN: the name is published as resolved to nothing, due again after its (clamped)
/// negative TTL.</item>
/// <item>Failed: the table is left as it is, so a name that resolved before keeps its previous
/// answer (stale addresses are better than a blocked client) and a name that never resolved stays
/// unresolved (absent, which section 4 of the rule-format reference turns into "accept rules with it
/// match nothing, drop rules with it block the client"). It is tried again after
/// <see cref="FailureRetry"/>.</item>
/// <item>Every resolution is reported to the callback, on a worker thread, with how long until the
/// name is asked again (the clamped TTL, or <see cref="FailureRetry"/>: not the answer's own TTL);
/// an exception the callback throws is swallowed so that refreshing never stops.</item>
/// <item>Each name is handed to the resolver as it falls due, whatever the others' lookups still wait
/// for (those due at once in order, those without any answer first), and is not asked again while
/// its lookup runs; the resolver bounds how many it asks at a time (<see cref="DnsResolver"/>: for
/// each family apart, so AAAA queries that go unanswered do not hold back the A queries behind them).</item>
/// </list>
/// "Previous answer" means what the table holds, so a refresher started on a new table that was
/// filled by <see cref="HostTable.CopyFrom"/> after a policy swap keeps the old answers through
/// failures as well. Given the refresher of the table before, it also keeps that one's schedule
/// for the names both hold with an answer for either family (one answered for one family only
/// was asked: its other family is asked again when that schedule says, after
/// <see cref="FailureRetry"/>), so a swap asks only about the names it has no answer for, and
/// asks them first: a swap waits for them (<see cref="FirstAnswers"/>), and re-asking dozens of
/// names it already knows ahead of them could outlast that wait.
/// <see cref="RefreshAll"/> and <see cref="Run"/> must not run at the same time.
/// </summary>
public sealed class HostRefresher
{
    public static readonly TimeSpan MinimumTtl = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaximumTtl = TimeSpan.FromDays(1);
    public static readonly TimeSpan FailureRetry = TimeSpan.FromSeconds(30);

    private readonly IDnsResolver _resolver;
    private readonly TimeProvider _time;
    private readonly Action<string, DnsAnswer, TimeSpan>? _report;

    /// <summary>When each name is due, as <see cref="TimeProvider.GetTimestamp"/> values; long.MinValue: now.</summary>
    private readonly long[] _due;

    /// <summary>The names without an answer for either family when it started, until each has been asked once.</summary>
    private readonly bool[] _awaitingFirst;

    private int _awaitingCount;

    /// <summary>The names <see cref="Run"/> is refreshing now.</summary>
    private readonly bool[] _inFlight;

    /// <summary>When <see cref="Run"/> wakes next, as a timestamp (long.MaxValue: while it looks for names due, or when none is).</summary>
    private long _sleepingUntil = long.MaxValue;

    /// <summary>Completed to wake <see cref="Run"/> before <see cref="_sleepingUntil"/>; one per sleep.</summary>
    private TaskCompletionSource? _woken;

    private readonly TaskCompletionSource _firstAnswers = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="previous">The refresher of the table <paramref name="table"/> was copied from: a name
    /// both hold, answered in <paramref name="table"/> for either family and with the answers it has there
    /// now, is due when it was due there.</param>
    /// <param name="report">Given each name, its answer, and how long until it is asked again.</param>
    public HostRefresher(HostTable table, IDnsResolver resolver, Action<string, DnsAnswer, TimeSpan>? report = null,
        TimeProvider? timeProvider = null, HostRefresher? previous = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(resolver);
        Table = table;
        _resolver = resolver;
        _report = report;
        _time = timeProvider ?? TimeProvider.System;
        _due = new long[table.Names.Count];
        Array.Fill(_due, long.MinValue);
        _awaitingFirst = new bool[_due.Length];
        _inFlight = new bool[_due.Length];
        for (var id = 0; id < _due.Length; id++)
        {
            if (!table.HasAnswer(id))
            {
                _awaitingFirst[id] = true;
                _awaitingCount++;
            }
            else if (previous?.Table.Names.IdOf(table.Names[id]) is >= 0 and var old && HoldsWhatItHas(table, id, previous.Table, old))
            {
                _due[id] = Volatile.Read(ref previous._due[old]);
            }
        }
        if (_awaitingCount == 0)
        {
            _firstAnswers.TrySetResult();
        }
    }

    public HostTable Table { get; }

    /// <summary>
    /// Whether the copy holds the answers the table it was copied from holds now: one that landed there
    /// after the copy is not in it (a new family, other addresses, resolved to nothing), and inheriting
    /// its schedule (up to a day) would keep the copy's older answer all that time.
    /// </summary>
    private static bool HoldsWhatItHas(HostTable copy, int id, HostTable from, int fromId) =>
        SameAnswer(copy, id, from, fromId, v6: false) && SameAnswer(copy, id, from, fromId, v6: true);

    private static bool SameAnswer(HostTable copy, int id, HostTable from, int fromId, bool v6) =>
        copy.IsResolved(id, v6) == from.IsResolved(fromId, v6) && copy.Answers(id, v6).SequenceEqual(from.Answers(fromId, v6));

    /// <summary>
    /// Completes once every name the table had no answer for (in either family) when this refresher
    /// started has been asked once (both families, whatever the answers), or once it has stopped: what
    /// boot and a policy swap wait for, so that a name new to the policy is not judged unresolved only
    /// because nobody asked yet. A name answered for one family only was asked already, and is not
    /// waited for.
    /// </summary>
    public Task FirstAnswers => _firstAnswers.Task;

    /// <summary>Clamps a TTL to [<see cref="MinimumTtl"/>, <see cref="MaximumTtl"/>].</summary>
    public static TimeSpan ClampTtl(TimeSpan ttl) => ttl < MinimumTtl ? MinimumTtl : ttl > MaximumTtl ? MaximumTtl : ttl;

    /// <summary>How long until <paramref name="name"/> is resolved again (zero when due); null for a name the table does not hold.</summary>
    public TimeSpan? TimeUntilRefresh(string name)
    {
        var id = Table.Names.IdOf(name);
        if (id < 0)
        {
            return null;
        }
        var due = Volatile.Read(ref _due[id]);
        var now = _time.GetTimestamp();
        return due <= now ? TimeSpan.Zero : _time.GetElapsedTime(now, due);
    }

    /// <summary>Resolves every name now. Throws only when <paramref name="ct"/> is cancelled.</summary>
    public Task RefreshAll(CancellationToken ct) => Refresh(Enumerable.Range(0, _due.Length), ct);

    /// <summary>
    /// Re-resolves names as they fall due, until <paramref name="ct"/> is cancelled; then the task
    /// completes (normally), once no refresh it started is still running.
    /// </summary>
    /// <remarks>
    /// Each name is started when it falls due and not held back by the others: a name whose AAAA query
    /// waits out every try (8 s with two resolvers), behind dozens of others doing the same, would
    /// otherwise keep a name with a TTL of 30 s from being asked again until the slowest was done.
    /// A name is refreshed by one task at a time; the resolver bounds how many it asks at once.
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
                Interlocked.Exchange(ref _sleepingUntil, long.MaxValue); // a refresh ending during the pass wakes the sleep after it
                var now = _time.GetTimestamp();
                var next = long.MaxValue;
                for (var pass = 0; pass < 2; pass++) // the names without any answer go first
                {
                    for (var id = 0; id < _due.Length; id++)
                    {
                        if (Volatile.Read(ref _inFlight[id]))
                        {
                            continue;
                        }
                        var at = Volatile.Read(ref _due[id]);
                        if (at > now)
                        {
                            next = Math.Min(next, at);
                        }
                        else if (pass == 1 || !Table.HasAnswer(id))
                        {
                            Volatile.Write(ref _inFlight[id], true);
                            refreshing[id] = RefreshDue(id, ct);
                        }
                    }
                }
                Interlocked.Exchange(ref _sleepingUntil, next);
                var sleep = next == long.MaxValue ? Timeout.InfiniteTimeSpan : _time.GetElapsedTime(now, next);
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

    /// <summary>Refreshes a name <see cref="RunLoop"/> started; once done, wakes the loop if it sleeps past the name's new due time.</summary>
    private async Task RefreshDue(int id, CancellationToken ct)
    {
        try
        {
            await RefreshOne(id, ct).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _inFlight[id], false);
            Interlocked.MemoryBarrier(); // the loop sets _sleepingUntil before it reads _inFlight: one of the two sees the other
            if (Volatile.Read(ref _due[id]) < Volatile.Read(ref _sleepingUntil))
            {
                Volatile.Read(ref _woken)?.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Starts every name in order, on a worker thread, and completes once all are done (<see cref="RefreshAll"/>).
    /// No slot is held per name: a name whose AAAA query goes unanswered would hold one through every
    /// try, long after its A answer was published.
    /// </summary>
    private Task Refresh(IEnumerable<int> ids, CancellationToken ct) =>
        Task.Run(() => Task.WhenAll(ids.Select(id => RefreshOne(id, ct)).ToArray()), CancellationToken.None);

    private async Task RefreshOne(int id, CancellationToken ct)
    {
        var name = Table.Names[id];
        DnsAnswer answer;
        try
        {
            answer = await _resolver.Resolve(name, ct, first => Publish(name, first)).ConfigureAwait(false) ?? DnsAnswer.Failure("no answer");
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
                Publish(name, answer);
                wait = answer.FailedFamilies == DnsFamilies.None ? ClampTtl(answer.Ttl) : FailureRetry;
                break;
            case DnsOutcome.NameError:
                Table.Set(name, []);
                wait = ClampTtl(answer.Ttl);
                break;
            default:
                wait = FailureRetry;
                break;
        }
        Volatile.Write(ref _due[id], _time.GetTimestamp() + ToTimestampDelta(wait));
        if (_awaitingFirst[id])
        {
            _awaitingFirst[id] = false; // one task at a time refreshes a name
            if (Interlocked.Decrement(ref _awaitingCount) == 0)
            {
                _firstAnswers.TrySetResult();
            }
        }

        try
        {
            _report?.Invoke(name, answer, wait);
        }
        catch (Exception)
        {
            // The host's printing must not stop the refreshing.
        }
    }

    /// <summary>A family whose query failed (or is still being asked) keeps what it held, as a name whose lookup failed does.</summary>
    private void Publish(string name, DnsAnswer answer) =>
        Table.Set(name, answer.Addresses ?? [], v4: (answer.FailedFamilies & DnsFamilies.V4) == 0,
            v6: (answer.FailedFamilies & DnsFamilies.V6) == 0);

    private long ToTimestampDelta(TimeSpan span) => (long)((Int128)span.Ticks * _time.TimestampFrequency / TimeSpan.TicksPerSecond);
}
