using System.CommandLine;
using System.Net;
using Lethe.Domain.Snapshots;
using Lethe.Firewall.Nft;

namespace Lethe.Firewall;

/// <summary>
/// `lethe-firewall nft`: the same sealed policy for the kernel. Verifies the snapshot as boot does and
/// prints one nftables script (see <see cref="NftRenderer"/>) that `nft -f` loads atomically.
/// </summary>
public static class NftCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var flags = new EngineFlags();
        // Unlike boot, the kernel's ruleset masquerades both families when no address is given.
        flags.UplinkAddress.Description = "The address clients are translated to on the uplink, A or A/N (snat; at most one IPv4 and one IPv6, unicast). " +
            "Without any, both families are masqueraded behind the uplink's own address; with one family only, the other leaves untranslated. " +
            "With the uplink's prefix length N, a client's packet to the IPv4 prefix's broadcast is dropped and one to the IPv6 prefix's " +
            "subnet-router anycast refused, as the kernel holding that prefix and boot given it do";
        var token = new Option<string?>("--token") { Description = "Bearer token for a control-plane URL (env LETHE_TOKEN)" };
        var uplink = new Option<string?>("--uplink-interface") { Description = "The uplink interface: NAT goes out through it, and it may not carry a client's source" };
        var clients = new Option<string[]>("--client-interface")
        {
            Description = "CLIENT=IFNAME: the interface a client's packets arrive on (repeatable); a client without one is recognised by its source address",
        };
        var resolve = new Option<string[]>("--resolve")
        {
            Description = "NAME=ADDR: an answer for a dsthost name, fixed in the ruleset (repeatable); NAME= for a name that resolved to nothing; other names stay unresolved",
        };
        flags.Dns.Description = "A DNS resolver: what specialtarget=dns means (repeatable); nft resolves no names, see --resolve";
        var now = new Option<long?>("--now") { Description = "Judge expire as of this UNIX time (default: the current time)" };
        var command = new Command("nft", "Print an nftables ruleset (table inet lethe) that enforces a verified snapshot in the kernel")
        {
            flags.Snapshot, flags.Trust, token, uplink, clients, flags.UplinkAddress, flags.Dns, resolve, flags.SilentDrop, now,
        };
        command.SetAction(async (parse, ct) =>
        {
            SnapshotContent? content = null;
            try
            {
                // What the flags say on their own, first, as boot and replay check theirs: a typing error is told
                // before the key or the snapshot is read, not hidden behind a refusal of either.
                var nowUnix = parse.GetValue(now) is { } given
                    ? given >= 0 ? given : throw new FlagException($"--now: {given} is before 1970; give a UNIX time in seconds")
                    : DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                flags.CheckAddresses(parse);
                if (parse.GetValue(uplink) is { } uplinkName && !NftRenderer.IsInterfaceName(uplinkName))
                {
                    throw new FlagException($"--uplink-interface: '{uplinkName}' is not an interface name ({NftRenderer.InterfaceNameShape})");
                }
                var interfaces = Interfaces(parse, clients);
                var answers = Answers(parse, resolve);
                var verified = await SnapshotSource.Load(parse.GetValue(flags.Snapshot)!, parse.GetValue(flags.Trust)!,
                    parse.GetValue(token) ?? Environment.GetEnvironmentVariable("LETHE_TOKEN"), ct);
                content = verified.Content;
                var options = Options(parse, flags, uplink, interfaces, answers, nowUnix, verified.Content, error);
                var e = verified.Envelope;
                options = options with { Origin = $"policy {e.Policy} version {e.Version} (sha256 {e.ContentSha256}, key {e.KeyId})" };
                await output.WriteAsync(NftRenderer.Render(verified.Content, options));
                await output.FlushAsync(ct);
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
            catch (OutOfMemoryException)
            {
                // Rendering comes before printing, so running out of memory there prints no part of the ruleset.
                await error.WriteLineAsync(content is null
                    ? $"error: refusing the snapshot: it does not fit in the memory this process may use ({PolicySize.AvailableMiB} MiB)"
                    : $"error: refusing the snapshot: {PolicySize.Describe(content)} does not fit, rendered as an nftables ruleset, " +
                      $"in the memory this process may use ({PolicySize.AvailableMiB} MiB): give it more memory");
                return 1;
            }
        });
        return command;
    }

    /// <summary>--client-interface's interfaces by client, read before the snapshot, as every flag's own shape is.</summary>
    /// <exception cref="FlagException">Not CLIENT=IFNAME, or IFNAME not an interface name.</exception>
    private static Dictionary<string, List<string>> Interfaces(ParseResult parse, Option<string[]> clients)
    {
        var interfaces = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in parse.GetValue(clients) ?? [])
        {
            var (client, name) = FlagPair.Split("--client-interface", pair, "CLIENT=IFNAME");
            if (!NftRenderer.IsInterfaceName(name))
            {
                throw new FlagException($"--client-interface {client}: '{name}' is not an interface name ({NftRenderer.InterfaceNameShape})");
            }
            if (!interfaces.TryGetValue(client, out var list))
            {
                interfaces[client] = list = [];
            }
            list.Add(name);
        }
        return interfaces;
    }

    /// <summary>--resolve's answers by name, read before the snapshot.</summary>
    /// <exception cref="FlagException">Not NAME=ADDR or NAME=, or ADDR not an address.</exception>
    private static Dictionary<string, List<IPAddress>> Answers(ParseResult parse, Option<string[]> resolve)
    {
        var answers = new Dictionary<string, List<IPAddress>>(StringComparer.Ordinal);
        foreach (var pair in parse.GetValue(resolve) ?? [])
        {
            // NAME= says the name resolved to nothing (NXDOMAIN, say): its rules match nothing, where a name not
            // given at all is unresolved, and a drop naming it blocks the whole client.
            var (name, text) = FlagPair.Split("--resolve", pair, "NAME=ADDR or NAME=", emptyValue: true);
            if (!answers.TryGetValue(name, out var list))
            {
                answers[name] = list = [];
            }
            if (text.Length > 0)
            {
                list.Add(Address("--resolve", text));
            }
        }
        return answers;
    }

    private static NftOptions Options(ParseResult parse, EngineFlags flags, Option<string?> uplink, Dictionary<string, List<string>> interfaces,
        Dictionary<string, List<IPAddress>> answers, long nowUnix, Lethe.Domain.Snapshots.SnapshotContent content, TextWriter error)
    {
        var (v4, v6) = flags.UplinkAddresses(parse, content);

        // One command line serves every version (re-run on each publish, as boot's is on each restart): a
        // client or a name a newer version dropped is warned of, not refused, or the kernel would keep the
        // older ruleset, which still forwards for the removed client.
        var model = Lethe.Domain.Snapshots.SnapshotCodec.ToModel(content);
        foreach (var client in interfaces.Keys.Where(c => model.FindClient(c) is null).ToList())
        {
            error.WriteLine($"warning: --client-interface: the snapshot has no client named {client} (clients: {string.Join(", ", model.Clients.Select(c => c.Name))}); " +
                $"{string.Join(", ", interfaces[client])} carries no client in this ruleset");
            interfaces.Remove(client);
        }
        var hostNames = model.Clients.SelectMany(c => c.Rules).Select(r => r.Rule.Host).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var name in answers.Keys.Where(n => !hostNames.Contains(n)).ToList())
        {
            error.WriteLine($"warning: --resolve: no rule of this snapshot names dsthost {name}; its answer is not used");
            answers.Remove(name);
        }

        return new NftOptions
        {
            NowUnix = nowUnix,
            DnsResolvers = flags.Resolvers(parse).Select(r => r.ToIPAddress()).ToArray(),
            ResolvedHosts = answers.ToDictionary(a => a.Key, a => (IReadOnlyList<IPAddress>)a.Value, StringComparer.Ordinal),
            UplinkInterface = parse.GetValue(uplink),
            ClientInterfaces = interfaces.ToDictionary(i => i.Key, i => (IReadOnlyList<string>)i.Value, StringComparer.Ordinal),
            UplinkV4 = v4?.Address.ToIPAddress(),
            UplinkV6 = v6?.Address.ToIPAddress(),
            UplinkPrefixLengthV4 = v4?.PrefixLength ?? 32,
            UplinkPrefixLengthV6 = v6?.PrefixLength ?? 128,
            SilentDrop = parse.GetValue(flags.SilentDrop),
        };
    }

    private static IPAddress Address(string flag, string text) => EngineFlags.ParseAddress(flag, text).ToIPAddress();
}
