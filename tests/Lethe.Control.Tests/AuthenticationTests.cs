using System.Net;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class AuthenticationTests(HostFixture fixture) : IClassFixture<HostFixture>, IAsyncLifetime
{
    private ControlPlaneHost Host => fixture.Host;

    public static TheoryData<string, string> Reads => new()
    {
        { "GET", "/policies" },
        { "GET", "/policies/auth" },
        { "GET", "/policies/auth/history" },
        { "GET", "/policies/auth/diff?from=draft&to=draft" },
        { "GET", "/policies/auth/snapshots" },
        { "GET", "/policies/auth/snapshots/latest" },
        { "GET", "/policies/auth/tests" },
        { "GET", "/signing-key" },
    };

    public static TheoryData<string, string> Writes => new()
    {
        { "POST", "/policies" },
        { "POST", "/policies/auth/clients" },
        { "POST", "/policies/auth/clients/work/remove" },
        { "POST", "/policies/auth/clients/work/rules" },
        { "POST", "/policies/auth/clients/work/rules/import" },
        { "POST", "/policies/auth/rules/r-0000000000/remove" },
        { "POST", "/policies/auth/rules/r-0000000000/move" },
        { "POST", "/policies/auth/rules/r-0000000000/replace" },
        { "POST", "/policies/auth/tests" },
        { "POST", "/policies/auth/tests/t-00000000/remove" },
        { "POST", "/policies/auth/publish" },
        { "POST", "/policies/auth/confirm" },
        { "POST", "/policies/auth/rollback" },
    };

    public async Task InitializeAsync()
    {
        using var editor = Host.Client();
        if ((await editor.GetAsync("/policies/auth")).StatusCode == HttpStatusCode.NotFound)
        {
            await editor.CreatePolicyWithWork("auth");
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static object Body => new { name = "x", reason = "because", rule = "action=accept", lines = new[] { "action=accept" } };

    [Fact]
    public async Task health_answers_200_without_a_token()
    {
        using var anonymous = Host.Client(token: null);

        var response = await anonymous.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Reads))]
    [MemberData(nameof(Writes))]
    public async Task every_other_endpoint_without_a_token_gets_401(string method, string path)
    {
        using var anonymous = Host.Client(token: null);

        var response = await anonymous.Send(new HttpMethod(method), path, method == "POST" ? Body : null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Reads))]
    [MemberData(nameof(Writes))]
    public async Task a_token_the_server_does_not_know_gets_401(string method, string path)
    {
        using var stranger = Host.Client("not-a-configured-token");

        var response = await stranger.Send(new HttpMethod(method), path, method == "POST" ? Body : null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task a_token_without_the_bearer_scheme_gets_401()
    {
        using var http = Host.Client(token: null);
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", ControlPlaneHost.EditorToken);

        var response = await http.GetAsync("/policies");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task viewer_token_cannot_change_anything_and_gets_403(string method, string path)
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        var response = await viewer.Send(new HttpMethod(method), path, Body);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task viewer_token_cannot_add_a_rule_and_gets_403()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        var response = await viewer.Post("/policies/auth/clients/work/rules", new { rule = "action=accept dst4=203.0.113.66", reason = "sneaky" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var editor = Host.Client();
        Assert.DoesNotContain("action=accept dst4=203.0.113.66/32", await editor.RuleTexts("auth", "work"));
    }

    /// <summary>
    /// A 401 or 403 said only "Unauthorized" or "Forbidden": a caller with curl could not tell a
    /// missing header from a mistyped token or another scheme, nor learn which role a change needs.
    /// </summary>
    [Theory]
    [InlineData(null, "The request has no Authorization header: send Authorization: Bearer TOKEN, a token of Lethe:Tokens.")]
    [InlineData("Basic YTpi", "Authorization uses the Basic scheme; this control plane takes only Bearer tokens: send Authorization: Bearer TOKEN.")]
    [InlineData("Bearer ", "Authorization: Bearer carries no token: send Authorization: Bearer TOKEN, a token of Lethe:Tokens.")]
    [InlineData("Bearer not-a-configured-token", "The bearer token in Authorization is not one this control plane knows (Lethe:Tokens); nothing was read or changed.")]
    public async Task a_401_says_what_is_wrong_with_the_authorization_header(string? authorization, string detail)
    {
        using var http = Host.Client(token: null);
        if (authorization is not null)
        {
            http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await http.GetAsync("/policies");

        Assert.Equal(detail, (await response.Problem(HttpStatusCode.Unauthorized))["detail"].Str());
    }

    /// <summary>
    /// Only a scheme HTTP registers is named: the first word of a header with no Bearer before it may be the
    /// secret itself (a token sent before its scheme, or with a note after it), and a 401 passes through logs.
    /// </summary>
    [Theory]
    [InlineData(ControlPlaneHost.EditorToken + " Bearer")]
    [InlineData(ControlPlaneHost.ViewerToken + " extra")]
    [InlineData("s3cr3tK3y9 x")]
    public async Task a_401_never_quotes_a_first_word_that_may_be_a_token(string authorization)
    {
        using var http = Host.Client(token: null);
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        using var response = await http.GetAsync("/policies");

        var detail = (await response.Problem(HttpStatusCode.Unauthorized))["detail"].Str();
        Assert.DoesNotContain(authorization.Split(' ')[0], detail);
        Assert.Equal("Authorization uses a scheme other than Bearer (its first word is not quoted: it may be a secret); " +
            "this control plane takes only Bearer tokens: send Authorization: Bearer TOKEN.", detail);
    }

    [Fact]
    public async Task a_403_names_the_tokens_role_and_the_one_the_request_needs()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        using var response = await viewer.Post("/policies/auth/publish", new { reason = "ship" });

        Assert.Equal("The token of bob has the role viewer; this request needs editor or admin. Nothing was changed.",
            (await response.Problem(HttpStatusCode.Forbidden))["detail"].Str());
    }

    [Fact]
    public async Task viewer_token_can_read_the_policy_and_gets_200()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        var response = await viewer.GetAsync("/policies/auth");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("auth", (await response.Json())["name"].Str());
    }

    [Fact]
    public async Task viewer_token_can_list_policies_and_read_history()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/policies")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/policies/auth/history")).StatusCode);
    }

    [Fact]
    public async Task admin_token_may_do_what_an_editor_may()
    {
        using var admin = Host.Client(ControlPlaneHost.AdminToken);

        var id = await admin.AddRule("auth", "work", "action=accept dst4=192.0.2.77 proto=tcp dstports=22");

        using var editor = Host.Client();
        Assert.Contains(id, await editor.RuleIds("auth", "work"));
    }

    [Fact]
    public async Task the_signing_key_endpoint_gives_the_public_key_and_never_the_private_one()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        var response = await viewer.GetAsync("/signing-key");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(File.ReadAllText(Host.PublicKeyPath).Trim(), System.Text.Json.Nodes.JsonNode.Parse(text)!["publicKeyPem"].Str().Trim());
        Assert.DoesNotContain("PRIVATE", text);
    }

    [Theory]
    [InlineData("", "alice", "editor", "Lethe:Tokens:0: Token is empty")]
    [InlineData("t0k3n", "", "editor", "Lethe:Tokens:0: Actor is empty")]
    [InlineData("t0k3n", "  ", "editor", "Lethe:Tokens:0: Actor is empty")]
    [InlineData("t0k3n", "alice", "root", "Lethe:Tokens:0: Role 'root' is not viewer, editor or admin")]
    [InlineData("t0k3n ", "alice", "editor", "Lethe:Tokens:0: Token begins or ends with a blank")]
    [InlineData("t0k3n\n", "alice", "editor", "Lethe:Tokens:0: Token begins or ends with a blank")]
    public void a_token_without_an_actor_or_a_known_role_stops_the_server_at_start(string token, string actor, string role, string expected)
    {
        var refused = Assert.Throws<InvalidOperationException>(() =>
            Lethe.Control.Server.ControlPlane.CheckTokens([new Lethe.Control.Server.TokenSettings { Token = token, Actor = actor, Role = role }]));

        Assert.StartsWith(expected, refused.Message);
    }

    // Every viewer reads the actor in `lethe history`: one with a line break or a carriage return (an env file
    // saved with Windows line endings) or an ESC makes its lines pass for others or rewrites the reader's terminal.
    [Theory]
    [InlineData("alice\r")]
    [InlineData("alice\n2026-11-30T10:00:00.000000Z  bob")]
    [InlineData("\u001b[2Jalice")]
    [InlineData("ali\u2028ce")]
    [InlineData("\u202Eecila")]
    public void an_actor_that_is_not_one_line_of_plain_text_stops_the_server_at_start(string actor)
    {
        var refused = Assert.Throws<InvalidOperationException>(() =>
            Lethe.Control.Server.ControlPlane.CheckTokens([new Lethe.Control.Server.TokenSettings { Token = "t0k3n", Actor = actor, Role = "editor" }]));

        Assert.StartsWith("Lethe:Tokens:0: Actor must be one line of text", refused.Message);
    }

    // Shown in `lethe history` as nobody at all.
    [Theory]
    [InlineData("\u200B")]
    [InlineData("\u200B\u2060 \uFEFF")]
    public void an_actor_with_no_visible_character_stops_the_server_at_start(string actor)
    {
        var refused = Assert.Throws<InvalidOperationException>(() =>
            Lethe.Control.Server.ControlPlane.CheckTokens([new Lethe.Control.Server.TokenSettings { Token = "t0k3n", Actor = actor, Role = "editor" }]));

        Assert.StartsWith("Lethe:Tokens:0: Actor has no visible character", refused.Message);
    }

    // A backslash is plain text (a Windows account name); only its display in a terminal doubles it.
    [Theory]
    [InlineData("山田 Zoë (ops)")]
    [InlineData("CORP\\alice")]
    public void an_actor_in_any_script_passes_the_start_check(string actor) =>
        Lethe.Control.Server.ControlPlane.CheckTokens([new Lethe.Control.Server.TokenSettings { Token = "t0k3n", Actor = actor, Role = "editor" }]);

    [Fact]
    public void two_token_entries_with_one_secret_stop_the_server_at_start_naming_both()
    {
        // Only the first would ever authenticate: the second actor's changes would be recorded as the first's, with the first's role.
        var refused = Assert.Throws<InvalidOperationException>(() => Lethe.Control.Server.ControlPlane.CheckTokens(
        [
            new Lethe.Control.Server.TokenSettings { Token = "s3cret", Actor = "bob", Role = "viewer" },
            new Lethe.Control.Server.TokenSettings { Token = "other", Actor = "carol", Role = "editor" },
            new Lethe.Control.Server.TokenSettings { Token = "s3cret", Actor = "alice", Role = "editor" },
        ]));

        Assert.Equal("Lethe:Tokens:2: Token is the same secret as Lethe:Tokens:0's: each actor needs a token of its own", refused.Message);
    }

    [Fact]
    public void complete_tokens_pass_the_start_check() =>
        Lethe.Control.Server.ControlPlane.CheckTokens([new Lethe.Control.Server.TokenSettings { Token = "t0k3n", Actor = "alice", Role = "admin" }]);

    [Theory]
    [InlineData(0)]
    [InlineData(0.0005)]
    [InlineData(-5)]
    [InlineData(double.NaN)]
    [InlineData(86400)]
    public void a_confirmation_check_interval_out_of_range_stops_the_server_at_start_naming_the_setting(double seconds)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => Lethe.Control.Server.ControlPlane.CheckConfirmInterval(seconds));

        Assert.StartsWith("Lethe:ConfirmCheckSeconds must be 0.1 to 3600", refused.Message);
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(3600)]
    public void a_confirmation_check_interval_in_range_passes_the_start_check(double seconds) =>
        Lethe.Control.Server.ControlPlane.CheckConfirmInterval(seconds);
}
