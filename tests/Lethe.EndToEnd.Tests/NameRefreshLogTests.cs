using Lethe.Firewall;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Tests.Dns;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// Each family's answer has a log line telling when that family is asked again: TTLs are clamped to 30 s .. 1 day,
/// and a family without an answer is asked again after 30 s, so the record's own TTL alone misleads.
/// </summary>
public sealed class NameRefreshLogTests
{
    [Fact]
    public async Task the_log_line_of_an_answer_gives_the_record_ttl_and_when_the_refresh_asks_again()
    {
        await using var dns = new TinyDnsServer();
        dns.Answer("zero.names.test", Rr.A("zero.names.test", "203.0.113.1", ttl: 0), Rr.Aaaa("zero.names.test", "2001:db8:3::1", ttl: 0));
        dns.Answer("week.names.test", Rr.A("week.names.test", "203.0.113.2", ttl: 604_800), Rr.Aaaa("week.names.test", "2001:db8:3::2", ttl: 604_800));
        dns.Answer("hour.names.test", Rr.A("hour.names.test", "203.0.113.3", ttl: 3600));
        dns.Zone[("hour.names.test", 28)] = q => [DnsWire.Response(q.Id, q.Name, q.Type, rcode: 2)]; // SERVFAIL: IPv4 only
        var log = new StringWriter();
        using var stopping = new CancellationTokenSource();
        var names = new NameRefresh([dns.EndPoint], TextWriter.Synchronized(log), stopping.Token);

        await names.Start(new HostTable(["zero.names.test", "week.names.test", "hour.names.test"])).WaitAsync(TimeSpan.FromSeconds(30));
        await stopping.CancelAsync();
        await names.Stop();

        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string Line(string name, string family) =>
            Assert.Single(lines, l => l.StartsWith($"dns: {name}: ", StringComparison.Ordinal) && l.Contains($" ({family}, ttl ", StringComparison.Ordinal));
        Assert.Contains("(A, ttl 0s, asked again in 30s)", Line("zero.names.test", "A"));
        Assert.Contains("(AAAA, ttl 0s, asked again in 30s)", Line("zero.names.test", "AAAA"));
        Assert.Contains("(AAAA, ttl 604800s, asked again in 86400s)", Line("week.names.test", "AAAA"));
        Assert.Contains("Resolved 203.0.113.3 (A, ttl 3600s, asked again in 3600s)", Line("hour.names.test", "A")); // not held back by its AAAA
        Assert.Contains("Failed  (AAAA, ttl 0s, asked again in 30s) ServerFailure", Line("hour.names.test", "AAAA"));
    }
}
