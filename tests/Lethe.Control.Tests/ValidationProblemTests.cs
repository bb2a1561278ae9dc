using System.Net;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class ValidationProblemTests(HostFixture fixture) : IClassFixture<HostFixture>, IAsyncLifetime
{
    private ControlPlaneHost Host => fixture.Host;

    public async Task InitializeAsync()
    {
        using var editor = Host.Client();
        if ((await editor.GetAsync("/policies/val")).StatusCode == HttpStatusCode.NotFound)
        {
            await editor.CreatePolicyWithWork("val");
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("action=accept proto=tcp dstports=99999", "rule.dstports")]
    [InlineData("action=accept dst4=1.2.3", "rule.dst4")]
    [InlineData("action=accept dst6=2001:db8::/129", "rule.dst6")]
    [InlineData("action=allow", "rule.action")]
    [InlineData("action=accept dstports=443", "rule.dstports")]
    [InlineData("action=accept proto=tcp icmptype=8", "rule.icmptype")]
    [InlineData("action=accept colour=red", "rule.colour")]
    public async Task a_bad_rule_gets_400_problem_details_naming_its_key(string rule, string key)
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/val/clients/work/rules", new { rule, reason = "try it" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal([key], problem.ErrorKeys());
        Assert.Contains(key["rule.".Length..], problem.ErrorText(key));
    }

    [Theory]
    [InlineData("why\u0000not")]
    [InlineData("first line\nsecond line")]
    [InlineData("tab\tseparated")]
    [InlineData("first line\u2028second line")]
    [InlineData("para\u2029graph")]
    [InlineData("approved by \u202Eecila")]
    [InlineData("isolated \u2067text")]
    [InlineData("\u200b")]
    [InlineData(" \u2800 \u200b ")]
    [InlineData("\u3164")]
    [InlineData("\u115f\u1160")]
    [InlineData("\uffa0")]
    [InlineData("\U0001D159")]
    [InlineData(" \U0001D159 \U0001D159 ")]
    public async Task a_reason_with_control_characters_or_broken_text_is_refused_and_nothing_is_written(string reason)
    {
        using var editor = Host.Client();
        var before = await LogState.Of(Host, "val");

        var response = await editor.Post("/policies/val/clients/work/rules", new { rule = "action=accept", reason });
        var name = "bad-reason-" + Guid.NewGuid().ToString("N")[..8];
        var created = await editor.Post("/policies", new { name, reason });

        Assert.Equal(["reason"], (await response.Problem(HttpStatusCode.BadRequest)).ErrorKeys());
        Assert.Equal(["reason"], (await created.Problem(HttpStatusCode.BadRequest)).ErrorKeys());
        Assert.Equal(before, await LogState.Of(Host, "val"));
        Assert.Equal(HttpStatusCode.NotFound, (await editor.GetAsync($"/policies/{name}")).StatusCode);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("\U0001F600")]
    public async Task a_reason_may_have_500_characters_counted_as_a_reader_counts_them_and_not_one_more(string character)
    {
        using var editor = Host.Client();
        var policy = "reason-length-" + Guid.NewGuid().ToString("N")[..8];
        await editor.CreatePolicyWithWork(policy);
        var longest = string.Concat(Enumerable.Repeat(character, 500));

        var accepted = await editor.Post($"/policies/{policy}/clients/work/rules", new { rule = "action=accept", reason = longest });
        var before = await LogState.Of(Host, policy);
        var refused = await editor.Post($"/policies/{policy}/clients/work/rules", new { rule = "action=drop", reason = longest + character });

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var problem = await refused.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["reason"], problem.ErrorKeys());
        Assert.Contains("500 characters or fewer; it has 501", problem.ErrorText("reason"));
        Assert.Equal(before, await LogState.Of(Host, policy));
    }

    [Fact]
    public async Task a_policy_name_in_the_event_stores_own_namespace_is_refused()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies", new { name = "mt_tombstone", reason = "take it" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["name"], problem.ErrorKeys());
        Assert.Contains("reserved", problem.ErrorText("name"));
    }

    [Fact]
    public async Task an_empty_reason_gets_a_reason_entry()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/val/clients/work/rules", new { rule = "action=accept", reason = "" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["reason"], problem.ErrorKeys());
        Assert.Contains("reason", problem.ErrorText("reason"));
    }

    [Fact]
    public async Task a_missing_reason_on_publish_gets_a_reason_entry()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/val/publish", new { });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["reason"], problem.ErrorKeys());
    }

    [Fact]
    public async Task each_bad_field_gets_its_own_entry()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/val/clients/work/rules", new { rule = "action=accept proto=tcp dstports=99999", position = -1, reason = "" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["position", "reason", "rule.dstports"], problem.ErrorKeys());
    }

    [Fact]
    public async Task a_bad_client_address_names_the_address()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/val/clients", new { name = "home", addresses = new[] { "10.137.0.300" }, reason = "new laptop" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        var key = Assert.Single(problem.ErrorKeys());
        Assert.StartsWith("addresses", key);
        Assert.Contains("10.137.0.300", problem.ErrorText(key));
    }

    [Fact]
    public async Task a_client_without_addresses_is_refused()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/val/clients", new { name = "home", addresses = Array.Empty<string>(), reason = "new laptop" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["addresses"], problem.ErrorKeys());
    }

    [Fact]
    public async Task a_bad_policy_name_is_refused()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies", new { name = "Not A Name", reason = "try" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["name"], problem.ErrorKeys());
    }

    [Fact]
    public async Task an_import_with_a_bad_line_names_the_line_and_the_key()
    {
        using var editor = Host.Client();
        var lines = new[] { "# from qvm-firewall", "action=accept proto=tcp dstports=443", "action=accept dst4=1.2.3", "action=drop" };

        var response = await editor.Post("/policies/val/clients/work/rules/import", new { lines, reason = "move in from Qubes" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        var key = Assert.Single(problem.ErrorKeys());
        Assert.Contains("line 3", key);
        Assert.Contains("dst4", key);
        Assert.Contains("line 3", problem.ErrorText(key));
    }

    [Fact]
    public async Task an_import_with_two_bad_lines_names_both()
    {
        using var editor = Host.Client();
        var lines = new[] { "action=accept dst4=1.2.3", "action=accept", "action=accept proto=tcp dstports=99999" };

        var response = await editor.Post("/policies/val/clients/work/rules/import", new { lines, reason = "move in from Qubes" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(2, problem.ErrorKeys().Length);
        Assert.Contains(problem.ErrorKeys(), k => k.Contains("line 1"));
        Assert.Contains(problem.ErrorKeys(), k => k.Contains("line 3"));
    }

    [Fact]
    public async Task a_bad_test_expectation_is_refused()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/val/tests", new { client = "work", to = "192.0.2.1", proto = "tcp", port = 443, expect = "maybe", reason = "check" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["expect"], problem.ErrorKeys());
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    [InlineData(null)]
    public async Task a_tcp_or_udp_test_without_a_port_is_refused(string? proto)
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/val/tests", new { client = "work", to = "192.0.2.1", proto, expect = "accept", reason = "check" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["port"], problem.ErrorKeys());
        Assert.Contains("needs a port", problem["errors"]!["port"]![0].Str());
    }

    [Theory]
    [InlineData("\"yesterday\"")]
    [InlineData("\"0\"")]
    public async Task an_if_match_that_is_not_a_version_is_refused_under_its_own_name(string ifMatch)
    {
        using var editor = Host.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/policies/val/clients/work/rules")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { rule = "action=accept", reason = "try" }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);

        var response = await editor.SendAsync(request);

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Contains("If-Match", problem["detail"].Str());
        Assert.Equal(["If-Match"], problem.ErrorKeys());
    }

    /// <summary>
    /// Each message names its field as the request spells it, which is how the CLI's option reads too
    /// (--port, --reason), as 'limit' and 'confirmWithinSeconds' always did, not in FluentValidation's
    /// default capitalised form ('Port', 'Expected Version').
    /// </summary>
    [Theory]
    [InlineData("POST", "/policies/val/tests", """{"client": "work", "to": "192.0.2.1", "proto": "tcp", "port": 70000, "expect": "drop", "reason": "r"}""", "port", "'port' must be between 0 and 65535")]
    [InlineData("POST", "/policies/val/tests", """{"client": "work", "to": "192.0.2.1", "proto": "sctp", "expect": "drop", "reason": "r"}""", "proto", "'proto' must be tcp, udp or icmp")]
    [InlineData("POST", "/policies/val/tests", """{"client": "work", "to": "192.0.2.1", "proto": "tcp", "port": 22, "expect": "maybe", "reason": "r"}""", "expect", "'expect' must be accept or drop")]
    [InlineData("POST", "/policies", """{"name": "Bad Name", "reason": "r"}""", "name", "'name' must be 1 to 63 characters")]
    [InlineData("POST", "/policies", """{"name": "okname", "reason": "two\nlines"}""", "reason", "'reason' must be one line of text")]
    [InlineData("POST", "/policies/val/clients", """{"name": "Work!", "addresses": ["10.137.0.9"], "reason": "r"}""", "name", "'name' must be 1 to 63 characters")]
    [InlineData("POST", "/policies/val/clients/Work!/remove", """{"reason": "r"}""", "client", "'client' must be 1 to 63 characters")]
    [InlineData("POST", "/policies/Val/publish", """{"reason": "r"}""", "policy", "'policy' must be 1 to 63 characters")]
    [InlineData("POST", "/policies/val/clients/work/rules", """{"rule": "action=drop", "position": -1, "reason": "r"}""", "position", "'position' must be greater than or equal to '0'")]
    [InlineData("POST", "/policies/val/rules/r-0000000000/move", """{"reason": "r"}""", "position", "'position' is required")]
    [InlineData("POST", "/policies/val/clients/work/rules/import", """{"reason": "r"}""", "lines", "'lines' is required")]
    [InlineData("POST", "/policies/val/confirm", """{"reason": "r", "version": 0}""", "version", "'version' must be greater than '0'")]
    [InlineData("GET", "/policies/val/diff?from=abc&to=draft", null, "from", "'from' must be a version number")]
    [InlineData("GET", "/policies/val/diff?from=1&to=abc", null, "to", "'to' must be a version number")]
    // Written as the snapshot paths and If-Match take versions: digits only, not a sign or spaces a loose parse allows.
    [InlineData("GET", "/policies/val/diff?from=%2B1&to=draft", null, "from", "'from' must be a version number")]
    [InlineData("GET", "/policies/val/diff?from=1&to=%201", null, "to", "'to' must be a version number")]
    [InlineData("GET", "/policies/val/snapshots/abc", null, "version", "'version' must be a version number")]
    [InlineData("GET", "/policies/val?at=03%2F04%2F2026", null, "at", "'at' must be an ISO 8601 time")]
    public async Task a_field_error_names_the_field_as_the_request_spells_it(string method, string path, string? body, string key, string message)
    {
        using var editor = Host.Client();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await editor.SendAsync(request);

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Contains(message, problem.ErrorText(key));
        Assert.DoesNotMatch("'[A-Z][a-z]+( [A-Z][a-z]+)*'", problem["detail"].Str());
    }

    [Theory]
    [InlineData("/policies", "name")]
    [InlineData("/policies/val/clients", "name")]
    public async Task a_name_ending_in_a_newline_gets_400_and_is_not_created(string path, string key)
    {
        using var editor = Host.Client();

        object body = path == "/policies"
            ? new { name = "home2\n", reason = "sneaky" }
            : new { name = "home2\n", addresses = new[] { "10.137.0.40" }, reason = "sneaky" };
        var response = await editor.Post(path, body);

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal([key], problem.ErrorKeys());
        Assert.Equal(HttpStatusCode.NotFound, (await editor.GetAsync("/policies/home2%0A")).StatusCode);
        Assert.DoesNotContain("home2", await editor.GetStringAsync("/policies/val"));
    }

    [Fact]
    public async Task a_move_without_a_position_gets_400_naming_position()
    {
        using var editor = Host.Client();
        var rule = await editor.AddRule("val", "work", "action=drop comment=last");

        var response = await editor.Post($"/policies/val/rules/{rule}/move", new { reason = "forgot where" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["position"], problem.ErrorKeys());
    }

    [Fact]
    public async Task an_import_without_lines_gets_400_naming_lines_and_clears_nothing()
    {
        using var editor = Host.Client();
        await editor.AddRule("val", "work", "action=accept comment=kept");

        var response = await editor.Post("/policies/val/clients/work/rules/import", new { replace = true, reason = "forgot the lines" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["lines"], problem.ErrorKeys());
        Assert.NotEmpty(await editor.RuleIds("val", "work"));
    }

    [Fact]
    public async Task an_import_with_a_null_line_gets_400_naming_the_line()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/val/clients/work/rules/import", new { lines = new string?[] { "action=accept", null }, reason = "x" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["line 2.rule"], problem.ErrorKeys());
    }

    [Theory]
    [InlineData("action=accept dst6=[2001:db8::1]:443 proto=tcp", "rule.dst6")]
    [InlineData("action=accept dst6=[2001:db8::1]", "rule.dst6")]
    [InlineData("action=accept dsthost=[2001:db8::1]:443", "rule.dsthost")]
    public async Task a_bracketed_ipv6_address_is_refused_rather_than_losing_its_port(string rule, string key)
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/val/clients/work/rules", new { rule, reason = "one port" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal([key], problem.ErrorKeys());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(86_401)]
    public async Task a_confirm_window_out_of_range_is_reported_under_the_field_the_request_names(int seconds)
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/val/publish", new { reason = "try", confirmWithinSeconds = seconds });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["confirmWithinSeconds"], problem.ErrorKeys());
    }

    [Fact]
    public async Task a_field_of_the_wrong_type_is_named_in_errors()
    {
        using var editor = Host.Client();
        var rule = await editor.AddRule("val", "work", "action=drop comment=typed");

        var response = await editor.Post($"/policies/val/rules/{rule}/move", new { position = "first", reason = "x" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["position"], problem.ErrorKeys());
        Assert.Contains("wrong type", problem.ErrorText("position"));
        Assert.DoesNotContain("Lethe.", problem.ErrorText("position"));
        Assert.Equal("The body's field 'position' has the wrong type or is out of range: it must be a whole number up to 2147483647.", problem["detail"].Str());
    }

    /// <summary>
    /// The refusal said "has the wrong type, is out of range, or holds text that is not valid UTF-16",
    /// leaving the caller to guess which and what the field takes.
    /// </summary>
    [Theory]
    [InlineData("/policies/val/clients", "{\"name\": \"typed\", \"addresses\": \"192.0.2.7\", \"reason\": \"x\"}", "addresses", "an array of strings")]
    [InlineData("/policies/val/clients/work/rules/import", "{\"lines\": [\"action=drop\", 7], \"reason\": \"x\"}", "lines[1]", "a string")]
    [InlineData("/policies/val/clients/work/rules/import", "{\"lines\": [\"action=drop\"], \"replace\": \"yes\", \"reason\": \"x\"}", "replace", "true or false")]
    [InlineData("/policies/val/publish", "{\"confirmWithinSeconds\": 1.5, \"reason\": \"x\"}", "confirmWithinSeconds", "a whole number up to 2147483647")]
    [InlineData("/policies/val/publish", "{\"confirmWithinSeconds\": \"300\", \"reason\": \"x\"}", "confirmWithinSeconds", "a whole number up to 2147483647")]
    [InlineData("/policies/val/clients/work/rules", "{\"rule\": \"action=drop\", \"position\": \"0\", \"reason\": \"x\"}", "position", "a whole number up to 2147483647")]
    public async Task a_field_of_the_wrong_type_says_what_the_field_takes(string path, string body, string field, string takes)
    {
        using var editor = Host.Client();
        var before = await LogState.Of(Host, "val");

        using var response = await editor.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal([field], problem.ErrorKeys());
        Assert.Equal($"'{field}' has the wrong type or is out of range: it must be {takes}; nothing was changed", problem.ErrorText(field));
        Assert.Equal(before, await LogState.Of(Host, "val"));
    }

    /// <summary>
    /// A body saved as Latin-1 (a reason with é) and sent as JSON, which is UTF-8, was told its field
    /// "has the wrong type, is out of range, or holds text that is not valid UTF-16": nothing about UTF-8.
    /// </summary>
    [Fact]
    public async Task a_field_of_bytes_that_are_not_utf8_is_named_with_what_to_send_instead()
    {
        using var editor = Host.Client();
        var before = await LogState.Of(Host, "val");
        var body = System.Text.Encoding.Latin1.GetBytes("{\"rule\": \"action=drop\", \"reason\": \"caf\u00e9\"}");
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await editor.PostAsync("/policies/val/clients/work/rules", content);

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["reason"], problem.ErrorKeys());
        Assert.Equal("'reason' holds bytes that are not UTF-8: send the body as UTF-8, or name its charset in Content-Type " +
            "(application/json; charset=iso-8859-1, say); nothing was changed", problem.ErrorText("reason"));
        Assert.Equal("The body's field 'reason' is not valid UTF-8.", problem["detail"].Str());
        Assert.Equal(before, await LogState.Of(Host, "val"));
    }

    [Fact]
    public async Task an_escaped_lone_surrogate_is_named_as_such()
    {
        using var editor = Host.Client();

        using var response = await editor.PostAsync("/policies/val/clients/work/rules",
            new StringContent("{\"rule\": \"action=drop\", \"reason\": \"half \\ud83d\"}", System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["reason"], problem.ErrorKeys());
        Assert.Equal("'reason' holds an escaped surrogate without its other half (\\uD800 to \\uDFFF come in pairs), which is no text; nothing was changed",
            problem.ErrorText("reason"));
        Assert.Equal("The body's field 'reason' holds an unpaired surrogate.", problem["detail"].Str());
    }

    /// <summary>A body over the limit was answered "Content Too Large" alone, without the limit it passed.</summary>
    [Fact]
    public async Task a_body_too_large_is_told_the_limit_it_passed()
    {
        using var editor = Host.Client();
        var padded = "{\"name\":\"too-large\",\"reason\":\"" + new string('x', 30_000_001) + "\"}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/policies") { Content = new StringContent(padded, System.Text.Encoding.UTF8, "application/json") };
        // The server answers before reading the body, so the client waits for that answer before sending it.
        request.Headers.ExpectContinue = true;

        using var response = await editor.SendAsync(request);

        Assert.Equal("The body is larger than this request takes: at most 30,000,000 bytes (a rule import takes up to 100 MiB). Nothing was changed.",
            (await response.Problem(HttpStatusCode.RequestEntityTooLarge))["detail"].Str());
    }

    /// <summary>A path or method routing does not know was answered "Not Found" or "Method Not Allowed" alone.</summary>
    [Theory]
    [InlineData("GET", "/nowhere", HttpStatusCode.NotFound, "No endpoint serves GET /nowhere: the API's paths are listed in /openapi/v1.json.")]
    [InlineData("DELETE", "/policies/val/clients/work/rules", HttpStatusCode.MethodNotAllowed,
        "/policies/val/clients/work/rules takes POST, not DELETE (the Allow header lists them). Nothing was changed.")]
    public async Task a_path_or_method_no_endpoint_serves_is_named(string method, string path, HttpStatusCode status, string detail)
    {
        using var editor = Host.Client();

        using var response = await editor.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(detail, (await response.Problem(status))["detail"].Str());
    }

    /// <summary>
    /// Found by ApiRequestFuzzTests: a field named "" was called invalid JSON under 'body', in the serializer's
    /// words, which name the server's request type (Lethe.Control.Api.AddRuleRequest); one whose name holds the
    /// serializer's own words was named cut short.
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData("' could not be mapped")]
    public async Task a_field_with_an_odd_name_is_named_as_not_a_field_of_the_request(string name)
    {
        using var editor = Host.Client();
        var before = await LogState.Of(Host, "val");
        var body = new System.Text.Json.Nodes.JsonObject { ["rule"] = "action=accept", ["reason"] = "x", [name] = 1 };
        using var content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

        using var response = await editor.PostAsync("/policies/val/clients/work/rules", content);

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal([name], problem.ErrorKeys());
        Assert.Contains("not a field", problem.ErrorText(name));
        Assert.DoesNotContain("Lethe.", problem.ToJsonString());
        Assert.Equal(before, await LogState.Of(Host, "val"));
    }

    /// <summary>A rollback without toVersion was told "... 1 or more, not 0": a 0 the caller never sent.</summary>
    [Fact]
    public async Task a_rollback_without_its_version_is_told_the_field_is_required()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/val/rollback", new { reason = "back" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["toVersion"], problem.ErrorKeys());
        Assert.Equal("'toVersion' is required: the published version to roll back to.", problem.ErrorText("toVersion"));
    }

    [Fact]
    public async Task a_number_out_of_range_is_named_in_errors_without_the_servers_type_names()
    {
        using var editor = Host.Client();
        var rule = await editor.AddRule("val", "work", "action=drop comment=ranged");
        using var content = new StringContent("{\"position\": 99999999999, \"reason\": \"x\"}", System.Text.Encoding.UTF8, "application/json");

        using var response = await editor.PostAsync($"/policies/val/rules/{rule}/move", content);

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["position"], problem.ErrorKeys());
        Assert.Contains("out of range", problem.ErrorText("position"));
        Assert.DoesNotContain("Lethe.", problem.ErrorText("position"));
    }

    [Theory]
    [InlineData("{\"rule\":")]
    [InlineData("{\"rule\": \"action=drop\", \"reason\": 'x'}")]
    [InlineData("{\"rule\": \"action=drop\", \"reason\": \"x\",}")]
    public async Task a_body_that_is_not_json_is_named_as_such_and_not_blamed_on_a_field(string body)
    {
        using var editor = Host.Client();
        var before = (await editor.History("val")).Count;

        var response = await editor.PostAsync("/policies/val/clients/work/rules", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["body"], problem.ErrorKeys());
        Assert.StartsWith("The body is not valid JSON: ", problem.ErrorText("body"));
        Assert.Equal(problem.ErrorText("body"), problem["detail"].Str());
        Assert.Equal(before, (await editor.History("val")).Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"x\"")]
    public async Task a_missing_body_or_one_that_is_not_an_object_is_named_as_body(string body)
    {
        using var editor = Host.Client();
        var name = "no-body-" + Guid.NewGuid().ToString("N")[..8];

        var response = await editor.PostAsync("/policies", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["body"], problem.ErrorKeys());
        Assert.Contains("JSON object", problem.ErrorText("body"));
        Assert.Equal(HttpStatusCode.NotFound, (await editor.GetAsync($"/policies/{name}")).StatusCode);
    }

    [Fact]
    public async Task an_unknown_field_is_named_and_the_policy_is_not_created()
    {
        using var editor = Host.Client();
        var name = "unknown-field-" + Guid.NewGuid().ToString("N")[..8];

        var response = await editor.Post("/policies", new { name, reason = "r", bogus = 1 });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["bogus"], problem.ErrorKeys());
        Assert.Equal(HttpStatusCode.NotFound, (await editor.GetAsync($"/policies/{name}")).StatusCode);
    }

    [Fact]
    public async Task an_if_match_on_create_is_refused_rather_than_ignored()
    {
        using var editor = Host.Client();
        var name = "if-match-" + Guid.NewGuid().ToString("N")[..8];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/policies")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { name, reason = "r" }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", "\"5\"");

        var response = await editor.SendAsync(request);

        Assert.Equal(["If-Match"], (await response.Problem(HttpStatusCode.BadRequest)).ErrorKeys());
        Assert.Equal(HttpStatusCode.NotFound, (await editor.GetAsync($"/policies/{name}")).StatusCode);
    }

    [Fact]
    public async Task a_bad_client_name_in_the_remove_route_is_named_client()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/val/clients/BAD/remove", new { reason = "x" });

        Assert.Equal(["client"], (await response.Problem(HttpStatusCode.BadRequest)).ErrorKeys());
    }

    [Theory]
    [InlineData("application/json; charset=bogus", "bogus")]
    [InlineData("application/json; charset=utf-7", "utf-7")]
    [InlineData("application/json; charset=", "")]
    public async Task a_body_in_a_charset_the_server_cannot_read_is_refused_naming_the_charset_not_a_500(string contentType, string charset)
    {
        using var editor = Host.Client();
        var before = await LogState.Of(Host, "val");
        using var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes("{\"rule\": \"action=drop comment=charset\", \"reason\": \"try\"}"));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await editor.PostAsync("/policies/val/clients/work/rules", content);

        var problem = await response.Problem(HttpStatusCode.UnsupportedMediaType);
        Assert.Contains($"charset '{charset}'", problem["detail"].Str());
        Assert.Equal(before, await LogState.Of(Host, "val"));
    }

    [Theory]
    [InlineData("application/json; charset=bogus")]
    [InlineData("application/json; charset=utf-7")]
    [InlineData("text/plain; charset=")]
    public async Task a_read_is_answered_whatever_charset_its_content_type_names_as_it_has_no_body(string contentType)
    {
        // Some clients send their default Content-Type with every request; a GET has no body for it to describe.
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        var contract = await OpenApiContract.Load(viewer);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/policies/val");
        request.Content = new ByteArrayContent([]);
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await viewer.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Empty(await contract.Mismatches(HttpMethod.Get, "/policies/{policy}", response));
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", null)]
    [InlineData("text/plain", null)]
    [InlineData("application/xml", "application/xml")]
    public async Task a_body_sent_as_another_media_type_is_refused_saying_it_must_be_json(string contentType, string? accept)
    {
        // curl -d sends application/x-www-form-urlencoded unless told otherwise.
        using var editor = Host.Client();
        if (accept is not null)
        {
            editor.DefaultRequestHeaders.Accept.ParseAdd(accept);
        }
        var before = await LogState.Of(Host, "val");
        using var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes("{\"rule\": \"action=drop comment=form\", \"reason\": \"try\"}"));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await editor.PostAsync("/policies/val/clients/work/rules", content);

        var problem = await response.Problem(HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/json", problem["detail"].Str());
        Assert.Contains(contentType, problem["detail"].Str());
        Assert.Equal(before, await LogState.Of(Host, "val"));
    }

    [Fact]
    public async Task a_body_sent_with_no_content_type_is_refused_saying_it_must_be_json()
    {
        // Python's requests.post(url, data=json.dumps(...)) sends the JSON with no Content-Type at all.
        using var editor = Host.Client();
        var before = await LogState.Of(Host, "val");
        using var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes("{\"rule\": \"action=drop comment=bare\", \"reason\": \"try\"}"));

        using var response = await editor.PostAsync("/policies/val/clients/work/rules", content);

        var problem = await response.Problem(HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("The body has no Content-Type; this server reads JSON only: send it with Content-Type: application/json. Nothing was changed.",
            problem["detail"].Str());
        Assert.Equal(before, await LogState.Of(Host, "val"));
    }

    /// <summary>
    /// Every way the server comes to answer with a problem: the binding's refusal, handled as an
    /// exception, went out with headers forbidding caches to keep it, and the others must too, or a
    /// proxy may serve one refusal (a 401, a 404 for a policy about to be made) in place of a later answer.
    /// </summary>
    [Theory]
    [InlineData("a form-encoded body, refused by routing", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("a charset the server cannot read", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("a path no endpoint serves", HttpStatusCode.NotFound)]
    [InlineData("a method the path does not take", HttpStatusCode.MethodNotAllowed)]
    [InlineData("no token", HttpStatusCode.Unauthorized)]
    [InlineData("a viewer's change", HttpStatusCode.Forbidden)]
    [InlineData("a policy that does not exist", HttpStatusCode.NotFound)]
    [InlineData("a field that is invalid", HttpStatusCode.BadRequest)]
    public async Task every_problem_answer_forbids_caching_it_as_the_415_for_a_body_with_no_content_type_does(string request, HttpStatusCode status)
    {
        using var editor = Host.Client();
        using var bare = new ByteArrayContent("{\"rule\": \"action=drop\", \"reason\": \"try\"}"u8.ToArray());
        using var reference = await editor.PostAsync("/policies/val/clients/work/rules", bare);
        await reference.Problem(HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("no-cache", CachingHeaders(reference)["Cache-Control"]);

        using var answer = await Send(request);

        await answer.Problem(status);
        Assert.Equal(CachingHeaders(reference), CachingHeaders(answer));
    }

    private async Task<HttpResponseMessage> Send(string request)
    {
        var body = "{\"rule\": \"action=drop\", \"reason\": \"try\"}";
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", request switch
        {
            "a form-encoded body, refused by routing" => "application/x-www-form-urlencoded",
            "a charset the server cannot read" => "application/json; charset=bogus",
            _ => "application/json",
        });
        using var client = Host.Client(request switch
        {
            "no token" => null,
            "a viewer's change" => ControlPlaneHost.ViewerToken,
            _ => ControlPlaneHost.EditorToken,
        });
        return request switch
        {
            "a path no endpoint serves" => await client.GetAsync("/nowhere"),
            "a method the path does not take" => await client.DeleteAsync("/policies/val/clients/work/rules"),
            "a policy that does not exist" => await client.GetAsync("/policies/never-made"),
            "a field that is invalid" => await client.PostAsync("/policies/val/clients/work/rules",
                new StringContent("{\"rule\": \"action=allow\", \"reason\": \"try\"}", System.Text.Encoding.UTF8, "application/json")),
            _ => await client.PostAsync("/policies/val/clients/work/rules", content),
        };
    }

    /// <summary>The headers that tell a cache whether it may keep an answer, as sent (Expires: -1 is no date).</summary>
    private static Dictionary<string, string> CachingHeaders(HttpResponseMessage response) =>
        new[] { "Cache-Control", "Pragma", "Expires" }.ToDictionary(name => name, name =>
            response.Headers.NonValidated.TryGetValues(name, out var values) || response.Content.Headers.NonValidated.TryGetValues(name, out values)
                ? string.Join(", ", values)
                : "(none)");

    [Fact]
    public async Task a_quoted_utf8_charset_is_read_as_utf8()
    {
        // RFC 9110 section 8.3.2: a parameter value may be a quoted-string; "utf-8" quoted is utf-8.
        using var editor = Host.Client();
        using var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes("{\"rule\": \"action=drop comment=quoted\", \"reason\": \"try\"}"));
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=\"utf-8\"");

        using var response = await editor.PostAsync("/policies/val/clients/work/rules", content);

        Assert.True(response.IsSuccessStatusCode, $"got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("application/octet-stream")]
    public async Task an_unknown_policy_is_a_404_problem_whatever_the_accept_header(string accept)
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        viewer.DefaultRequestHeaders.Accept.ParseAdd(accept);

        using var response = await viewer.GetAsync("/policies/no-such-policy/snapshots/latest");

        await response.Problem(HttpStatusCode.NotFound);
    }

    /// <summary>
    /// Found by ApiRequestFuzzTests: the writer for clients that do not accept JSON left out the title (and type)
    /// ASP.NET gives a refusal that has none, so a routing 404 read {"status":404,"detail":...} alone.
    /// </summary>
    [Theory]
    [InlineData("GET", "/nowhere", null)]
    [InlineData("DELETE", "/policies/val/clients/work/rules", null)]
    [InlineData("GET", "/policies", "")]
    [InlineData("POST", "/policies/val/publish", "text/plain")]
    public async Task a_refusal_has_the_same_title_and_type_whatever_the_accept_header(string method, string path, string? contentType)
    {
        async Task<System.Text.Json.Nodes.JsonNode> Refused(string accept)
        {
            using var client = Host.Client(contentType == "" ? null : ControlPlaneHost.EditorToken);
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (contentType is { Length: > 0 })
            {
                request.Content = new StringContent("{\"reason\":\"ship\"}", System.Text.Encoding.UTF8, contentType);
            }
            request.Headers.Accept.ParseAdd(accept);
            using var response = await client.SendAsync(request);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        }

        var json = await Refused("application/json");
        var html = await Refused("text/html");

        Assert.NotEqual("", json["title"].Str());
        Assert.Equal(json["title"].Str(), html["title"].Str());
        Assert.Equal(json["type"].Str(), html["type"].Str());
    }

    [Fact]
    public async Task a_bad_rule_is_named_in_problem_details_even_when_the_client_accepts_only_text()
    {
        using var editor = Host.Client();
        editor.DefaultRequestHeaders.Accept.ParseAdd("text/plain");

        using var response = await editor.Post("/policies/val/clients/work/rules", new { rule = "action=maybe", reason = "typo" });

        Assert.Equal(["rule.action"], (await response.Problem(HttpStatusCode.BadRequest)).ErrorKeys());
    }

    [Fact]
    public async Task a_missing_token_is_a_401_problem_even_when_the_client_accepts_only_text()
    {
        using var anonymous = Host.Client(null);
        anonymous.DefaultRequestHeaders.Accept.ParseAdd("text/plain");

        using var response = await anonymous.GetAsync("/policies");

        await response.Problem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task a_body_naming_a_field_twice_is_refused_rather_than_read_as_its_last_value()
    {
        using var editor = Host.Client();
        var policy = "dup-key-" + Guid.NewGuid().ToString("N")[..8];
        await editor.CreatePolicyWithWork(policy);
        var kept = await editor.AddRule(policy, "work", "action=accept proto=tcp dstports=443");
        var before = await LogState.Of(Host, policy);
        const string Body = "{\"lines\": [\"action=drop\"], \"replace\": false, \"reason\": \"add a drop\", \"replace\": true}";

        using var response = await editor.PostAsync($"/policies/{policy}/clients/work/rules/import",
            new StringContent(Body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Contains("replace", problem.ToJsonString());
        Assert.Equal(before, await LogState.Of(Host, policy));
        Assert.Contains(kept, await editor.RuleIds(policy, "work"));
    }

    [Theory]
    [InlineData("clients/work/rules", "{\"rule\": \"action=drop\", \"reason\": \"r\", \"rule\": \"action=accept\"}", "rule")]
    [InlineData("clients/work/rules", "{\"rule\": \"action=drop\", \"reason\": \"r\", \"Rule\": \"action=accept\"}", "Rule")]
    [InlineData("clients/work/rules/import", "{\"lines\": [\"action=drop\"], \"reason\": \"r\", \"lines\": []}", "lines")]
    [InlineData("publish", "{\"reason\": \"ship\", \"confirmWithinSeconds\": 60, \"reason\": \"ship it\"}", "reason")]
    [InlineData("clients", "{\"name\": \"twice\", \"addresses\": [\"10.137.0.77\"], \"reason\": \"r\", \"name\": \"other\"}", "name")]
    public async Task a_field_given_twice_is_named_under_that_field_without_the_servers_type_names(string path, string body, string field)
    {
        using var editor = Host.Client();
        var before = await LogState.Of(Host, "val");

        using var response = await editor.PostAsync($"/policies/val/{path}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal([field], problem.ErrorKeys());
        Assert.Contains("twice", problem.ErrorText(field));
        Assert.DoesNotContain("Lethe.", problem.ToJsonString());
        Assert.DoesNotContain("Failed to read parameter", problem.ToJsonString());
        Assert.Equal(before, await LogState.Of(Host, "val"));
    }

    [Fact]
    public async Task a_client_of_more_addresses_than_a_machine_has_is_refused_naming_the_field_and_the_limit()
    {
        using var editor = Host.Client();
        var addresses = Enumerable.Range(0, 1_025).Select(i => $"10.77.{i >> 8}.{i & 255}").ToArray();
        var before = await LogState.Of(Host, "val");

        using var response = await editor.Post("/policies/val/clients", new { name = "big-network", addresses, reason = "a whole lab" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["addresses"], problem.ErrorKeys());
        Assert.Contains("at most 1024 addresses, not 1025", problem.ErrorText("addresses"));
        Assert.Equal(before, await LogState.Of(Host, "val"));
    }

    [Fact]
    public async Task a_client_of_the_most_addresses_allowed_is_added_and_a_repeated_one_is_still_named()
    {
        using var editor = Host.Client();
        var addresses = Enumerable.Range(0, 1_024).Select(i => $"10.78.{i >> 8}.{i & 255}").ToArray();

        (await editor.Post("/policies/val/clients", new { name = "many-addresses", addresses, reason = "a lab" })).EnsureSuccessStatusCode();
        var again = await editor.Post("/policies/val/clients", new { name = "overlap", addresses = new[] { "10.79.0.1", "10.78.3.255" }, reason = "overlap" });
        var twice = await editor.Post("/policies/val/clients", new { name = "twice", addresses = new[] { "10.79.0.2", "10.79.0.2" }, reason = "twice" });

        Assert.Equal("Address 10.78.3.255 already belongs to client many-addresses.", (await again.Problem(HttpStatusCode.Conflict))["detail"].Str());
        Assert.Equal("Address 10.79.0.2 is given twice.", (await twice.Problem(HttpStatusCode.UnprocessableEntity))["detail"].Str());
    }

    [Theory]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("::ffff:10.137.0.20", "10.137.0.20 written as IPv6")]
    public async Task a_client_address_the_firewall_never_forwards_to_is_named_under_its_field_and_nothing_is_written(string address, string why)
    {
        using var editor = Host.Client();
        var before = await LogState.Of(Host, "val");

        var response = await editor.Post("/policies/val/clients", new { name = "odd", addresses = new[] { "10.137.0.21", address }, reason = "add odd" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["addresses[1]"], problem.ErrorKeys());
        Assert.Contains(why, problem.ErrorText("addresses[1]"));
        Assert.Equal(before, await LogState.Of(Host, "val"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task an_import_of_only_comments_and_blank_lines_gets_400_naming_lines_and_clears_nothing(bool replace)
    {
        using var editor = Host.Client();
        await editor.AddRule("val", "work", "action=accept comment=kept");
        var before = await LogState.Of(Host, "val");

        var response = await editor.Post("/policies/val/clients/work/rules/import",
            new { lines = new[] { "# nothing but this", "", "   " }, replace, reason = "an empty file" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["lines"], problem.ErrorKeys());
        Assert.Contains("holds no rules", problem.ErrorText("lines"));
        Assert.Equal(before, await LogState.Of(Host, "val"));
    }

    [Theory]
    [InlineData("03/04/2026")]
    [InlineData("10:00")]
    [InlineData("4 March 2026")]
    [InlineData("2026-03-04T10:00:00+25:00")]
    public async Task an_at_that_is_not_an_iso_8601_time_is_named_under_at_not_read_as_another_moment(string at)
    {
        using var editor = Host.Client();

        var response = await editor.GetAsync($"/policies/val?at={Uri.EscapeDataString(at)}");

        Assert.Equal(["at"], (await response.Problem(HttpStatusCode.BadRequest)).ErrorKeys());
    }

    [Theory]
    [InlineData("2099-01-01T00:00:00Z")]
    [InlineData("2099-01-01T00:00:00.123456Z")]
    [InlineData("2099-01-01T01:00:00+01:00")]
    [InlineData("2099-01-01 00:00:00.000000Z")]
    [InlineData("2099-01-01T00:00")]
    [InlineData("2099-01-01")]
    public async Task an_iso_8601_at_in_any_of_its_forms_shows_the_policy(string at)
    {
        using var editor = Host.Client();

        var response = await editor.GetAsync($"/policies/val?at={Uri.EscapeDataString(at)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
