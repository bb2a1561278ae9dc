using Lethe.Domain.Rules;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Classification.Fixtures;

namespace Lethe.PacketPath.Tests.Classification;

public sealed class HostTableTests
{
    [Fact]
    public void an_absent_name_is_unresolved_and_an_empty_answer_is_resolved_to_nothing()
    {
        var hosts = new HostTable(["a.example", "b.example"]);
        hosts.Set("b.example", []);

        Assert.False(hosts.TryGet("a.example", out _));
        Assert.True(hosts.TryGet("b.example", out var answer));
        Assert.True(answer.IsEmpty);
        Assert.False(hosts.IsResolved(hosts.Names.IdOf("a.example")));
        Assert.True(hosts.IsResolved(hosts.Names.IdOf("b.example")));
        Assert.Equal(["b.example"], hosts.Snapshot().Keys);
    }

    [Fact]
    public void set_publishes_a_copy_and_remove_makes_the_name_unresolved_again()
    {
        var hosts = new HostTable(["a.example"]);
        var given = new[] { Address("192.0.2.1") };
        Assert.True(hosts.Set("a.example", given));
        given[0] = Address("192.0.2.99");

        Assert.True(hosts.TryGet("a.example", out var answer));
        Assert.Equal([Address("192.0.2.1")], answer.ToArray());

        Assert.True(hosts.Remove("a.example"));
        Assert.False(hosts.TryGet("a.example", out _));
    }

    [Fact]
    public void a_name_outside_the_name_table_is_refused()
    {
        var hosts = new HostTable(["a.example"]);

        Assert.False(hosts.Set("z.example", [Address("192.0.2.1")]));
        Assert.False(hosts.Remove("z.example"));
        Assert.False(hosts.TryGet("z.example", out _));
        Assert.Equal(-1, hosts.Names.IdOf("z.example"));
    }

    [Fact]
    public void copy_from_carries_the_answers_of_shared_names_over_to_a_new_policys_table()
    {
        var old = new HostTable(["a.example", "b.example"]);
        old.Set("a.example", [Address("192.0.2.1")]);
        old.Set("b.example", []);
        var next = new HostTable(["b.example", "c.example"]);

        next.CopyFrom(old);

        Assert.True(next.TryGet("b.example", out var b));
        Assert.True(b.IsEmpty);
        Assert.False(next.TryGet("c.example", out _));
    }

    [Fact]
    public async Task readers_see_one_whole_answer_or_the_other_while_a_writer_replaces_it()
    {
        var policy = Single("action=accept dsthost=flip.example proto=tcp", "action=reject");
        var hosts = policy.CreateHostTable();
        var first = new[] { Address("192.0.2.1"), Address("192.0.2.2") };
        var second = new[] { Address("192.0.2.3"), Address("192.0.2.4") };
        hosts.Set("flip.example", first);
        using var stop = new CancellationTokenSource();

        var writer = Task.Run(() =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                hosts.Set("flip.example", i % 2 == 0 ? second : first);
            }
        });
        var p1 = Tcp("192.0.2.1", 80);
        var p2 = Tcp("192.0.2.2", 80);
        var id = hosts.Names.IdOf("flip.example");
        var deadline = DateTime.UtcNow.AddMilliseconds(300);
        var checks = 0;
        while (DateTime.UtcNow < deadline)
        {
            var answer = hosts.Answers(id, v6: false);
            Assert.Equal(2, answer.Length);
            Assert.True(answer[0] == first[0] && answer[1] == first[1] || answer[0] == second[0] && answer[1] == second[1]);
            var v = policy.Classify(0, p1, Now, hosts);
            Assert.True(v.Action is RuleAction.Accept or RuleAction.Reject);
            Assert.NotEqual(DropReason.DsthostUnresolved, policy.Classify(0, p2, Now, hosts).Reason);
            checks++;
        }
        stop.Cancel();
        await writer;
        Assert.True(checks > 100);
    }
}
