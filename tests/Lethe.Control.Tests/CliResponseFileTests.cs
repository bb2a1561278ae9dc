using System.Net;
using System.Text.Json.Nodes;

namespace Lethe.Control.Tests;

/// <summary>An argument starting with '@' is a value as written, not a file of further arguments.</summary>
public sealed class CliResponseFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lethe-cli-at-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Answers every request as a rule added, keeping the bodies the CLI sent.</summary>
    private sealed class Recorder : HttpMessageHandler
    {
        public List<JsonNode?> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            Bodies.Add(request.Content is null ? null : JsonNode.Parse(await request.Content.ReadAsStringAsync(ct)));
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("""{"id":"r-0123456789","version":5}""", System.Text.Encoding.UTF8, "application/json"),
            };
        }
    }

    private static async Task<(int Code, string Error, Recorder Server)> Run(params string[] args)
    {
        var server = new Recorder();
        var error = new StringWriter();
        var code = await Lethe.Control.Cli.LetheCli.Run([.. args, "--server", "http://127.0.0.1:9", "--token", "t"],
            new StringWriter(), error, new StringReader(""), () => new HttpClient(server));
        return (code, error.ToString(), server);
    }

    [Fact]
    public async Task a_reason_that_starts_with_an_at_sign_is_sent_as_written()
    {
        var (code, error, server) = await Run("rule", "add", "home", "work", "action=drop", "-m", "@alice asked for it");

        Assert.True(code == 0, error);
        Assert.Equal("@alice asked for it", server.Bodies.Single()!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_reason_naming_a_file_does_not_splice_that_files_words_into_the_command_line()
    {
        var file = Path.Combine(_folder, "oncall");
        await File.WriteAllTextAsync(file, "paged --position 0\n");

        var (code, error, server) = await Run("rule", "add", "home", "work", "action=drop", "-m", "@" + file);

        Assert.True(code == 0, error);
        var body = server.Bodies.Single()!;
        Assert.Equal("@" + file, body["reason"]!.GetValue<string>());
        Assert.Null(body["position"]);
    }
}
