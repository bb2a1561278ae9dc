using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lethe.Control.Cli;

/// <summary>What every CLI command shares: the output streams, the global options, and how to reach the server.</summary>
/// <param name="typed">The command line, whose values a refusal shows by their start and length when they are too long to read.</param>
public sealed class CliContext(TextWriter output, TextWriter error, TextReader input, Func<HttpClient> http, IReadOnlyList<string>? typed = null)
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerOptions.Web);

    public TextWriter Out { get; } = output;

    public TextWriter Err { get; } = error;

    public TextReader In { get; } = input;

    public Option<string> Server { get; } = new("--server")
    {
        Description = "Control plane URL (env LETHE_SERVER)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LETHE_SERVER") is { Length: > 0 } s ? s : "http://127.0.0.1:5080",
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "Bearer token (env LETHE_TOKEN)",
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print machine-readable JSON" };

    public Option<long?> IfMatch { get; } = new("--if-match")
    {
        Description = "Apply only if the policy is still at this version (from `policy show`); else 409 and nothing changes",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) && version > 0)
            {
                return version;
            }
            result.AddError($"--if-match: '{text}' is not a policy version (a whole number above 0, from `lethe show`)");
            return null;
        },
    };

    public ApiClient Api(ParseResult parse)
    {
        var token = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable("LETHE_TOKEN");
        var server = parse.GetValue(Server)!;
        if (!Uri.TryCreate(server.TrimEnd('/') + "/", UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new CliException($"--server: '{server}' is not an http:// or https:// URL (e.g. http://127.0.0.1:5080)");
        }
        var options = parse.CommandResult.Command.Options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        return new ApiClient(http(), server, token, parse.GetValue(IfMatch), options);
    }

    public bool WantsJson(ParseResult parse) => parse.GetValue(Json);

    public void PrintJson(JsonNode? node) => Out.WriteLine(JsonText.Indented(node));

    public void PrintJson<T>(T value) => Out.WriteLine(JsonText.Indented(JsonSerializer.SerializeToNode(value, Web)));

    /// <summary>Runs a command body; a refusal becomes a message on stderr and exit code 1.</summary>
    public async Task<int> Run(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CliException e)
        {
            // Messages quote what others wrote (a line of a rules file, the server's answer) and what was typed: shown,
            // never obeyed by the terminal, and a pasted blob (which the server may quote back) by its start and length.
            await Err.WriteLineAsync($"error: {Lethe.Hosts.ArgvText.Shown(e.Message, typed ?? [])}");
            foreach (var detail in e.Details)
            {
                await Err.WriteLineAsync($"  {Lethe.Hosts.ArgvText.Shown(detail, typed ?? [])}");
            }
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file the command reads or writes: a folder given for a file, a missing folder, no permission.
            await Err.WriteLineAsync($"error: {Lethe.Hosts.ArgvText.Shown(e.Message, typed ?? [])}");
            return 1;
        }
    }

    /// <param name="required">False for the one command that has a reason of its own to fall back on (confirm).</param>
    public static Option<string> Reason(bool required = true) =>
        new("--reason", "-m") { Description = "Why you make this change (recorded in the history)", Required = required };
}
