using System.CommandLine;
using Lethe.Domain.Snapshots;
using static Lethe.Control.Cli.PolicyCommands;

namespace Lethe.Control.Cli;

public static class SnapshotCommands
{
    public static Command Snapshot(CliContext cli)
    {
        var command = new Command("snapshot", "Fetch, list and verify sealed snapshots");

        var policy = CliArguments.Policy();
        var version = new Argument<string>("version") { Description = "A version number or latest" };
        var output = new Option<string>("--out") { Description = "Where to write the signed snapshot file (- for stdout)", Required = true };
        var get = new Command("get", "Write the exact signed bytes a firewall will verify") { policy, version, output };
        get.SetAction((parse, ct) => cli.Run(async () =>
        {
            var path = parse.GetValue(output)!;
            if (path.Length == 0)
            {
                throw new CliException("--out is empty: give the path of the file to write, or - for stdout");
            }
            var (bytes, sealedSnapshot) = await cli.Api(parse).GetSnapshotFile($"/policies/{ApiPath.Segment(parse, policy)}/snapshots/{ApiPath.Segment(parse, version)}", ct);
            if (path == "-")
            {
                // The file itself on stdout (for a pipe), so what it was goes to stderr.
                await cli.Out.WriteAsync(System.Text.Encoding.UTF8.GetString(bytes));
                await cli.Out.FlushAsync(ct);
                await cli.Err.WriteLineAsync($"wrote stdout: policy {sealedSnapshot.Policy} version {sealedSnapshot.Version} sha256 {sealedSnapshot.ContentSha256}");
                return 0;
            }
            if (Directory.Exists(path))
            {
                throw new CliException($"--out: {path} is a folder; give the path of the file to write");
            }
            try
            {
                await File.WriteAllBytesAsync(path, bytes, ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"--out: cannot write {path}: {e.Message}");
            }
            if (cli.WantsJson(parse)) cli.PrintJson(new { path, sealedSnapshot.Version, sealedSnapshot.ContentSha256, sealedSnapshot.KeyId });
            else cli.Out.WriteLine($"wrote {path}: policy {sealedSnapshot.Policy} version {sealedSnapshot.Version} sha256 {sealedSnapshot.ContentSha256}");
            return 0;
        }));

        var listPolicy = CliArguments.Policy();
        var list = new Command("list", "List a policy's sealed versions") { listPolicy };
        list.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).GetArray($"/policies/{ApiPath.Segment(parse, listPolicy)}/snapshots",
                s => CliTime.Problem(s["sealedAt"], "an entry whose \"sealedAt\""), ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            else if (result.Count == 0) cli.Out.WriteLine($"policy {Lethe.Domain.QuotedText.Safe(parse.GetValue(listPolicy)!)} has no sealed versions yet: lethe publish POLICY -m WHY seals one");
            else cli.Out.Write(TextTable.Render(["VERSION", "SEALED", "KEY", "CONTENT SHA-256"],
                result.Select(s => (IReadOnlyList<string>)[S(s!["version"]), CliTime.Text(s["sealedAt"]), S(s["keyId"]), S(s["contentSha256"])])));
            return 0;
        }));

        var file = new Argument<string>("file") { Description = "A snapshot file, as lethe snapshot get writes it" };
        var trust = new Option<string>("--trust") { Description = "The public key (PEM file) the snapshot must be signed with", Required = true };
        var verify = new Command("verify", "Check a snapshot file's hash and signature against a trusted public key") { file, trust };
        verify.SetAction((parse, ct) => cli.Run(async () =>
        {
            var path = parse.GetValue(file)!;
            var trustPath = parse.GetValue(trust)!;
            if (path.Length == 0 || trustPath.Length == 0)
            {
                throw new CliException(path.Length == 0 ? "FILE is empty: give a snapshot file" : "--trust is empty: give the public key's PEM file");
            }
            // Each file that cannot be read is named as what it is: a blank or mistyped --trust is not the snapshot's fault.
            var bytes = await Read(path, SnapshotLimits.MaxFileBytes, "", ct);
            var pemBytes = await Read(trustPath, SnapshotLimits.MaxKeyBytes, "--trust: ", ct);
            if (bytes is null)
            {
                // What a firewall would say of it: "verified" here would promise a boot that never comes.
                throw new CliException($"{path} does not verify: it is larger than {SnapshotLimits.MaxFileBytes / (1024 * 1024)} MiB, which no firewall reads");
            }
            var pem = pemBytes is null
                ? throw new CliException($"--trust {trustPath} is larger than {SnapshotLimits.MaxKeyBytes / 1024} KiB, which no public key is")
                : KeyText.Of(pemBytes, pemBytes.Length);
            VerifiedSnapshot verified;
            try
            {
                verified = SnapshotVerifier.Verify(bytes, pem);
            }
            catch (SnapshotVerificationException e)
            {
                throw new CliException($"{path} does not verify: {e.Message}");
            }
            var s = verified.Envelope;
            if (cli.WantsJson(parse)) cli.PrintJson(new { verified = true, s.Policy, s.Version, s.ContentSha256, s.KeyId, s.SealedAt });
            else cli.Out.WriteLine($"verified: policy {s.Policy} version {s.Version}, sha256 {s.ContentSha256}, signed by key {s.KeyId}");
            return 0;
        }));

        command.Subcommands.Add(get);
        command.Subcommands.Add(list);
        command.Subcommands.Add(verify);
        return command;
    }

    /// <summary>The file, at most <paramref name="most"/> bytes (null when larger); one that cannot be read is named, quoted so a blank one shows.</summary>
    private static async Task<byte[]?> Read(string path, long most, string what, CancellationToken ct)
    {
        try
        {
            return await Lethe.Hosts.CappedFile.Read(path, most, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{what}cannot read '{path}': {e.Message}");
        }
    }
}
