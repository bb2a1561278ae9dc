using System.CommandLine;
using Lethe.Domain.Snapshots;

namespace Lethe.Firewall;

/// <summary>`lethe-firewall verify`: what boot checks first, on its own, for scripts and operators.</summary>
public static class VerifyCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var snapshot = new Option<string>("--snapshot") { Description = "Snapshot file or control-plane URL", Required = true };
        var trust = new Option<string>("--trust") { Description = "The control plane's public key (PEM)", Required = true };
        var token = new Option<string?>("--token") { Description = "Bearer token for a control-plane URL (env LETHE_TOKEN)" };
        var command = new Command("verify", "Check a snapshot's hash and signature and print what it holds") { snapshot, trust, token };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var verified = await SnapshotSource.Load(parse.GetValue(snapshot)!, parse.GetValue(trust)!,
                    parse.GetValue(token) ?? Environment.GetEnvironmentVariable("LETHE_TOKEN"), ct);
                var e = verified.Envelope;
                await output.WriteLineAsync($"verified: policy {e.Policy} version {e.Version}, {verified.Content.Clients.Count} clients, " +
                    $"{verified.Content.Clients.Sum(c => c.Rules.Count)} rules, sha256 {e.ContentSha256}, key {e.KeyId}");
                return 0;
            }
            catch (SnapshotVerificationException e)
            {
                await error.WriteLineAsync($"error: refusing the snapshot: {e.Message}");
                return 1;
            }
            catch (FlagException e)
            {
                // A flag's refusal quotes what was typed: escaped, and a pasted blob by its start and length.
                await error.WriteLineAsync($"error: {Lethe.Hosts.ArgvText.Shown(e.Message, parse.Tokens.Select(t => t.Value))}");
                return 2;
            }
        });
        return command;
    }
}
