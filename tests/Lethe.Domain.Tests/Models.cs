using System.Net;
using Lethe.Domain.Evaluation;

namespace Lethe.Domain.Tests;

/// <summary>Evaluable policies and environments for the reference evaluator tests. Rule ids are r1, r2, ... per client.</summary>
internal static class Models
{
    public const string Client = "work";
    public const string ClientAddress = "10.137.0.10";
    public static readonly IPAddress Resolver = IPAddress.Parse("10.139.1.1");
    public static readonly IPAddress ResolverV6 = IPAddress.Parse("fd09:24ef:4179::a8b:1");

    public static PolicyModel OneClient(params string[] rules) => Build((Client, [ClientAddress], rules));

    public static PolicyModel Build(params (string Name, string[] Addresses, string[] Rules)[] clients) =>
        PolicyModel.From(clients.Select(c => (c.Name, (IReadOnlyList<string>)c.Addresses, c.Rules.Select((rule, i) => ($"r{i + 1}", rule)))));

    public static EvaluationEnvironment Environment(long now = RuleText.Now, Dictionary<string, IReadOnlyList<IPAddress>>? resolved = null) =>
        new(now, [Resolver, ResolverV6], resolved ?? []);

    public static FlowQuery Tcp(string to, int port) => new(IPAddress.Parse(to), FlowQuery.Tcp, port);

    public static FlowQuery Udp(string to, int port) => new(IPAddress.Parse(to), FlowQuery.Udp, port);

    public static FlowQuery Protocol(string to, byte protocol, int? icmpType = null) => new(IPAddress.Parse(to), protocol, null, icmpType);

    public static Decision Evaluate(PolicyModel policy, FlowQuery flow, EvaluationEnvironment? environment = null, string client = Client) =>
        ReferenceEvaluator.Evaluate(policy, client, flow, environment ?? Environment());
}
