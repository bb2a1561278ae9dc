using Lethe.Domain.Policies;

namespace Lethe.Domain.Tests;

public class PolicyClientDecisionTests
{
    [Fact]
    public void a_new_policy_has_its_name_and_an_empty_unpublished_draft()
    {
        var policy = Policy.Start(Policy.Open("office"));

        Assert.Equal("office", policy.Name);
        Assert.Empty(policy.Draft.Clients);
        Assert.Equal(0, policy.Publishing.LatestVersion);
    }

    [Fact]
    public void adding_a_client_records_its_name_and_addresses()
    {
        var policy = Policies.New().WithClient("work", "10.137.0.10", "fd00:137::10");

        var client = Assert.Single(policy.Draft.Clients);
        Assert.Equal("work", client.Name);
        Assert.Equal(["10.137.0.10", "fd00:137::10"], client.Addresses);
        Assert.Empty(client.Rules);
    }

    [Fact]
    public void addresses_are_recorded_in_their_normal_form() =>
        Assert.Equal(["2001:db8::1"], Policies.New().AddClient("work", ["2001:0DB8:0:0::1"]).Addresses);

    [Fact]
    public void a_duplicate_client_name_is_refused_as_a_conflict()
    {
        var policy = Policies.Work();

        var refused = Assert.Throws<DomainException>(() => policy.AddClient("work", ["10.137.0.11"]));

        Assert.Equal(Refusal.Conflict, refused.Refusal);
        Assert.Contains("work", refused.Message);
    }

    [Theory]
    [InlineData("10.137.0.10", "10.137.0.10")]
    [InlineData("fd00:137::10", "fd00:137:0:0::10")]
    public void an_address_used_by_another_client_is_refused_as_a_conflict_naming_both(string existing, string given)
    {
        var policy = Policies.New().WithClient("work", existing);

        var refused = Assert.Throws<DomainException>(() => policy.AddClient("vault", ["10.137.0.20", given]));

        Assert.Equal(Refusal.Conflict, refused.Refusal);
        Assert.Contains(existing, refused.Message);
        Assert.Contains("work", refused.Message);
    }

    [Theory]
    [InlineData("10.137.0")]
    [InlineData("10.137.0.0/24")]
    [InlineData("vault.lan")]
    public void an_address_that_does_not_parse_is_refused_naming_it(string address)
    {
        var refused = Assert.Throws<DomainException>(() => Policies.New().AddClient("vault", [address]));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains(address, refused.Message);
    }

    [Fact]
    public void the_same_address_given_twice_is_refused()
    {
        var refused = Assert.Throws<DomainException>(() => Policies.New().AddClient("vault", ["10.137.0.20", "10.137.0.20"]));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains("10.137.0.20", refused.Message);
    }

    [Fact]
    public void removing_a_client_drops_it_and_its_rules_from_the_draft()
    {
        var policy = Policies.Work().WithClient("vault", "10.137.0.20").WithRule("work", "r1", "action=accept")
            .Then(p => p.RemoveClient("work"));

        Assert.Equal(["vault"], policy.Draft.Clients.Select(c => c.Name));
        Assert.Null(policy.Draft.FindRule("r1"));
    }

    [Fact]
    public void removing_an_unknown_client_is_refused_listing_the_clients()
    {
        var refused = Assert.Throws<DomainException>(() => Policies.Work().RemoveClient("vault"));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains("vault", refused.Message);
        Assert.Contains("work", refused.Message);
    }

    [Fact]
    public void removing_a_client_that_policy_tests_name_is_refused_naming_the_tests()
    {
        var policy = Policies.Work().Then(p => p.AddTest(new PolicyTest("t-ssh", "work", "192.0.2.1", "tcp", 22, null, "drop")));

        var refused = Assert.Throws<DomainException>(() => policy.RemoveClient("work"));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains("t-ssh", refused.Message);
    }

    [Fact]
    public void a_removed_clients_addresses_can_be_given_to_a_new_client()
    {
        var policy = Policies.Work().Then(p => p.RemoveClient("work"));

        Assert.Equal(["10.137.0.10"], policy.AddClient("laptop", ["10.137.0.10"]).Addresses);
    }

    [Theory]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("169.254.3.1", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:10.137.3.1", "give the IPv4 address")]
    public void an_address_no_packet_could_be_answered_at_or_written_twice_over_is_refused(string address, string why)
    {
        var refused = Assert.Throws<DomainException>(() => Policies.New().AddClient("x", [address]));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains(why, refused.Message);
    }
}
