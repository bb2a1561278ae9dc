using System.CommandLine;

namespace Lethe.Control.Cli;

/// <summary>The arguments many commands share, described once so every command's --help says what to give and where to find it.</summary>
public static class CliArguments
{
    public static Argument<string> Policy() => new("policy") { Description = "The policy's name (lethe policy list lists them)" };

    public static Argument<string> Client() => new("client") { Description = "The client's name (lethe show POLICY lists them)" };

    public static Argument<string> RuleId() => new("rule-id") { Description = "The rule's id, as lethe show POLICY prints it (r-1, r-2, ...)" };

    public static Argument<string> TestId() => new("test-id") { Description = "The test's id, as lethe test list POLICY prints it" };

    public static Argument<string> Rule() => new("rule") { Description = "e.g. 'action=accept dst4=192.0.2.0/24 proto=tcp dstports=443'" };
}
