using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lethe.Control.Cli;

/// <summary>What every CLI command shares: the output streams, the global options, and how to reach the server.</summary>
public sealed class CliContext(TextWriter output, TextWriter error, TextReader input, Func<HttpClient> http)
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerOptions.Web) { WriteIndented = true };

    public TextWriter Out { get; } = output;

    public TextWriter Err { get; } = error;

    public TextReader In { get; } = input;

    public Option<string> Server { get; } = new("--server")
    {
        Description = "Control plane URL (env LETHE_SERVER)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LETHE_SERVER") is { Length: > 0 } s ? s : "http://127.0.0.1:5080",
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "Bearer token (env LETHE_TOKEN)",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print machine-readable JSON", Recursive = true };

    public Option<long?> IfMatch { get; } = new("--if-match")
    {
        Description = "Apply only if the policy is still at this version (from `policy show`); else 409 and nothing changes",
        Recursive = true,
    };

    public ApiClient Api(ParseResult parse)
    {
        var token = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable("LETHE_TOKEN");
        return new ApiClient(http(), parse.GetValue(Server)!, token, parse.GetValue(IfMatch));
    }

    public bool WantsJson(ParseResult parse) => parse.GetValue(Json);

    public void PrintJson(JsonNode? node) => Out.WriteLine(node?.ToJsonString(Indented) ?? "null");

    public void PrintJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, Indented));

    /// <summary>Runs a command body; a refusal becomes a message on stderr and exit code 1.</summary>
    public async Task<int> Run(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CliException e)
        {
            await Err.WriteLineAsync($"error: {e.Message}");
            foreach (var detail in e.Details)
            {
                await Err.WriteLineAsync($"  {detail}");
            }
            return 1;
        }
    }

    public static Option<string> Reason() => new("--reason", "-m") { Description = "Why you make this change (recorded in the history)" };
}
