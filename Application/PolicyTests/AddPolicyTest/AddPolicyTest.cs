using Lethe.Application.Common;
using Lethe.Domain.Policies;
using Lethe.Domain.Rules;
using Mediator;

namespace Lethe.Application.PolicyTests.AddPolicyTest;

/// <param name="Proto">tcp, udp or icmp; tcp when not given.</param>
/// <param name="Expect">accept or drop.</param>
public sealed record AddPolicyTest(string Policy, string Client, string To, string? Proto, int? Port, int? IcmpType, string Expect, string Reason, long? ExpectedVersion = null)
    : ICommand<AddedPolicyTest>;

public sealed record AddedPolicyTest(string Id, long Version);

public sealed class AddPolicyTestHandler(PolicyWriter writer) : ICommandHandler<AddPolicyTest, AddedPolicyTest>
{
    public async ValueTask<AddedPolicyTest> Handle(AddPolicyTest command, CancellationToken ct)
    {
        // Stored in its canonical form, as client addresses are: what a later build reads, however it was typed.
        var to = RuleParser.ParseAddress(command.To)!.ToString();
        var test = new PolicyTest(Ids.NewTestId(), command.Client, to, command.Proto ?? "tcp", command.Port, command.IcmpType, command.Expect);
        var result = await writer.Change(command.Policy, command.ExpectedVersion, command.Reason, p => p.AddTest(test), ct);
        return new AddedPolicyTest(test.Id, result.Version);
    }
}
