namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// Expectations about many flows, probed side by side, reported together: a failure lists every
/// flow that did not do what it should (which flow, which direction, what was seen) and what the
/// firewall printed.
/// </summary>
public sealed class FlowChecks(Func<string> context)
{
    private readonly Lock _lock = new();
    private readonly List<Check> _checks = [];

    public void Expect(string flow, Seen expected, Task<Seen> actual) => Add(new Check(flow, expected.What, s => s == expected, actual));

    public void Expect(string flow, Seen expected, Seen actual) => Expect(flow, expected, Task.FromResult(actual));

    /// <summary>For a flow that must not get through, however the failure shows (silence, or an error the kernel reports).</summary>
    public void ExpectNot(string flow, Seen unwanted, Task<Seen> actual) => Add(new Check(flow, $"anything but {unwanted}", s => s != unwanted, actual));

    public async Task Verify()
    {
        List<Check> checks;
        lock (_lock)
        {
            checks = [.. _checks];
        }
        await Task.WhenAll(checks.Select(c => c.Actual));
        var lines = checks.Select(c => (c.Flow, c.Expected, Actual: c.Actual.Result, Ok: c.Passes(c.Actual.Result))).ToList();
        var wrong = lines.Where(l => !l.Ok).ToList();
        Assert.True(wrong.Count == 0,
            $"{wrong.Count} of {lines.Count} flow(s) did not do what the policy says:\n" +
            string.Join('\n', wrong.Select(l => $"  {l.Flow}: expected {l.Expected}, saw {l.Actual}")) +
            "\nall flows:\n" + string.Join('\n', lines.Select(l => $"  {(l.Ok ? "ok " : "BAD")} {l.Flow}: {l.Actual}")) +
            "\n" + context());
    }

    private void Add(Check check)
    {
        lock (_lock)
        {
            _checks.Add(check);
        }
    }

    private sealed record Check(string Flow, string Expected, Func<Seen, bool> Passes, Task<Seen> Actual);
}
