using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>
/// Real answers held against the served OpenAPI document, as a client generated from it would read
/// them: every status listed, every body of a listed media type and schema, every header named.
/// </summary>
public class OpenApiContractTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    [Fact]
    public async Task problem_answers_match_the_documented_problem_schemas()
    {
        using var editor = fixture.Host.Client(ControlPlaneHost.EditorToken);
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        var contract = await OpenApiContract.Load(viewer);
        await editor.CreatePolicyWithWork("contract-problems");
        await editor.AddRule("contract-problems", "work", "action=drop");
        await editor.AddTest("contract-problems", "work", "192.0.2.1", "tcp", 443, "accept");
        var mismatches = new List<string>();

        using (var badRule = await editor.Post("/policies/contract-problems/clients/work/rules", new { rule = "action=bogus", reason = "r" }))
        {
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Post, "/policies/{policy}/clients/{client}/rules", badRule));
        }
        using (var unknown = await viewer.GetAsync("/policies/contract-nobody"))
        {
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Get, "/policies/{policy}", unknown));
        }
        using (var duplicate = await editor.Post("/policies", new { name = "contract-problems", reason = "again" }))
        {
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Post, "/policies", duplicate));
        }
        using (var failing = await editor.Post("/policies/contract-problems/publish", new { reason = "ship" }))
        {
            var problem = await failing.Problem(HttpStatusCode.UnprocessableEntity);
            Assert.NotNull(problem["failures"]);
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Post, "/policies/{policy}/publish", failing));
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public async Task the_document_says_how_to_authenticate_and_lists_the_refusals_of_a_token()
    {
        using var anonymous = fixture.Host.Client(token: null);
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        var contract = await OpenApiContract.Load(viewer);
        var mismatches = new List<string>();

        using (var noToken = await anonymous.GetAsync("/policies"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Get, "/policies", noToken));
        }
        using (var tooLow = await viewer.Post("/policies", new { name = "contract-viewer", reason = "r" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, tooLow.StatusCode);
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Post, "/policies", tooLow));
        }

        Assert.Empty(mismatches);
        var schemes = contract.Document["components"]?["securitySchemes"]?.AsObject() ?? [];
        var bearer = Assert.Single(schemes, s => s.Value?["type"].Str() == "http" && s.Value?["scheme"].Str() == "bearer");
        foreach (var (method, path, operation) in contract.Operations())
        {
            var required = operation["security"]?.AsArray().Any(r => r?[bearer.Key] is not null) ?? false;
            Assert.True(required == (path != "/health"), $"{method} {path}: bearer token {(required ? "required" : "not required")}");
            if (path != "/health")
            {
                Assert.True(operation["responses"]?["401"] is not null && operation["responses"]?["403"] is not null, $"{method} {path}: 401 and 403 not listed");
            }
        }
    }

    [Fact]
    public async Task a_body_the_server_will_not_read_is_a_documented_refusal()
    {
        using var editor = fixture.Host.Client(ControlPlaneHost.EditorToken);
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        var contract = await OpenApiContract.Load(viewer);
        var mismatches = new List<string>();

        using (var form = await editor.PostAsync("/policies", new StringContent("name=x&reason=y", Encoding.UTF8, "application/x-www-form-urlencoded")))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Post, "/policies", form));
        }
        // Kestrel's limit for every body but an import's: 30,000,000 bytes.
        var padded = "{\"name\":\"contract-large\",\"reason\":\"" + new string('x', 30_000_001) + "\"}";
        using var tooLarge = new HttpRequestMessage(HttpMethod.Post, "/policies") { Content = new StringContent(padded, Encoding.UTF8, "application/json") };
        // The server answers before reading the body, so the client must wait for that answer before sending it.
        tooLarge.Headers.ExpectContinue = true;
        using (var large = await editor.SendAsync(tooLarge))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Post, "/policies", large));
        }

        Assert.Empty(mismatches);
        foreach (var (method, path, operation) in contract.Operations().Where(o => o.Operation["requestBody"] is not null))
        {
            Assert.True(operation["responses"]?["413"]?["content"]?["application/problem+json"] is not null, $"{method} {path}: 413 not listed");
            Assert.True(operation["responses"]?["415"]?["content"]?["application/problem+json"] is not null, $"{method} {path}: 415 not listed");
        }
    }

    [Fact]
    public async Task a_content_type_naming_a_charset_the_server_cannot_read_gets_a_documented_answer_from_every_operation()
    {
        // A body in it is refused (415); a read has no body for it to describe, and some clients send their default Content-Type with every request.
        using var editor = fixture.Host.Client(ControlPlaneHost.EditorToken);
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        var contract = await OpenApiContract.Load(viewer);
        await editor.CreatePolicyWithWork("contract-charset");
        var rule = await editor.AddRule("contract-charset", "work", "action=accept");
        var test = await editor.AddTest("contract-charset", "work", "192.0.2.1", "tcp", 443, "accept");
        await editor.Publish("contract-charset");
        var mismatches = new List<string>();
        var refused = new List<string>();

        foreach (var (method, template, _) in contract.Operations())
        {
            var path = template.Replace("{policy}", "contract-charset").Replace("{client}", "work").Replace("{ruleId}", rule)
                .Replace("{testId}", test).Replace("{version}", "1") + (template.EndsWith("/diff", StringComparison.Ordinal) ? "?from=1" : "");
            using var request = new HttpRequestMessage(new HttpMethod(method), path)
            {
                Content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"reason\":\"r\"}")),
            };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=bogus");
            using var answer = await editor.SendAsync(request);
            mismatches.AddRange(await contract.Mismatches(new HttpMethod(method), template, answer));
            if (answer.StatusCode == HttpStatusCode.UnsupportedMediaType)
            {
                refused.Add($"{method} {template}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        var bodies = contract.Operations().Where(o => o.Operation["requestBody"] is not null).Select(o => $"{o.Method} {o.Path}").ToArray();
        Assert.NotEmpty(bodies);
        Assert.Equal(bodies.Order(StringComparer.Ordinal), refused.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task the_headers_a_script_reads_and_sends_are_documented()
    {
        using var editor = fixture.Host.Client(ControlPlaneHost.EditorToken);
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        var contract = await OpenApiContract.Load(viewer);
        var undocumented = new List<string>();

        using (var created = await editor.Post("/policies", new { name = "contract-headers", reason = "r" }))
        {
            Assert.NotNull(created.Headers.Location);
            undocumented.AddRange(contract.UndocumentedHeaders(HttpMethod.Post, "/policies", created));
        }
        using (var added = await editor.Post("/policies/contract-headers/clients", new { name = "work", addresses = new[] { "10.137.0.10" }, reason = "r" }, ifMatch: 1))
        {
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
            undocumented.AddRange(contract.UndocumentedHeaders(HttpMethod.Post, "/policies/{policy}/clients", added));
        }
        using (var read = await viewer.GetAsync("/policies/contract-headers"))
        {
            undocumented.AddRange(contract.UndocumentedHeaders(HttpMethod.Get, "/policies/{policy}", read));
        }
        await editor.Publish("contract-headers");
        using (var snapshot = await viewer.GetAsync("/policies/contract-headers/snapshots/latest"))
        {
            undocumented.AddRange(contract.UndocumentedHeaders(HttpMethod.Get, "/policies/{policy}/snapshots/{version}", snapshot));
        }

        Assert.Empty(undocumented);
        foreach (var (method, path, operation) in contract.Operations())
        {
            var parameters = operation["parameters"]?.AsArray().Where(p => p?["in"].Str() == "header").Select(p => p!["name"].Str()).ToArray() ?? [];
            // Every change but a create takes If-Match; a snapshot read takes If-None-Match; a 503 says when to try again.
            Assert.True(method != "POST" || path == "/policies" || parameters.Contains("If-Match"), $"{method} {path}: If-Match not documented");
            Assert.True(path != "/policies/{policy}/snapshots/{version}" || parameters.Contains("If-None-Match"), $"{method} {path}: If-None-Match not documented");
            Assert.True(operation["responses"]?["503"] is not { } unavailable || unavailable["headers"]?["Retry-After"] is not null, $"{method} {path}: 503 without Retry-After");
            // Every request may name the id the history records with its change.
            Assert.True(parameters.Contains("X-Correlation-Id"), $"{method} {path}: X-Correlation-Id not documented");
        }
    }

    [Fact]
    public async Task the_snapshot_file_and_the_health_answer_are_documented_as_the_json_they_are()
    {
        using var editor = fixture.Host.Client(ControlPlaneHost.EditorToken);
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        using var anonymous = fixture.Host.Client(token: null);
        var contract = await OpenApiContract.Load(viewer);
        await editor.CreatePolicyWithWork("contract-file");
        await editor.AddRule("contract-file", "work", "action=accept proto=tcp dstports=443");
        await editor.Publish("contract-file");
        var mismatches = new List<string>();

        using (var file = await viewer.GetAsync("/policies/contract-file/snapshots/1"))
        {
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Get, "/policies/{policy}/snapshots/{version}", file));
        }
        using (var health = await anonymous.GetAsync("/health"))
        {
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Get, "/health", health));
        }

        Assert.Empty(mismatches);
        foreach (var (response, path) in new[] { ("/policies/{policy}/snapshots/{version}", "get"), ("/health", "get") })
        {
            Assert.NotNull(contract.Document["paths"]![response]![path]!["responses"]!["200"]!["content"]?["application/json"]?["schema"]);
        }
    }

    [Fact]
    public async Task what_the_document_marks_required_is_what_the_server_requires()
    {
        using var editor = fixture.Host.Client(ControlPlaneHost.EditorToken);
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        var contract = await OpenApiContract.Load(viewer);
        await editor.CreatePolicy("contract-required");

        // A client with no addresses, and a diff with no 'from', are refused: the document must not call them optional.
        using (var noAddresses = await editor.Post("/policies/contract-required/clients", new { name = "work", reason = "r" }))
        {
            Assert.Equal(["addresses"], (await noAddresses.Problem(HttpStatusCode.BadRequest)).ErrorKeys());
        }
        using (var noFrom = await viewer.GetAsync("/policies/contract-required/diff?to=draft"))
        {
            Assert.Contains("from", (await noFrom.Problem(HttpStatusCode.BadRequest)).ErrorKeys());
        }
        // So are required fields sent as null: the document must not say null is a value they take.
        using (var nullLines = await editor.Post("/policies/contract-required/clients/work/rules/import", new { lines = (string[]?)null, reason = "r" }))
        {
            await nullLines.Problem(HttpStatusCode.BadRequest);
        }

        var schemas = contract.Document["components"]!["schemas"]!;
        Assert.Contains("addresses", schemas["AddClientRequest"]!["required"]!.AsArray().Select(n => n.Str()));
        var from = contract.Operation(HttpMethod.Get, "/policies/{policy}/diff")["parameters"]!.AsArray().Single(p => p!["name"].Str() == "from")!;
        Assert.True(from["required"]?.GetValue<bool>() ?? false, "diff's 'from' is documented as optional");
        foreach (var (name, schema) in schemas.AsObject().Where(s => s.Key.EndsWith("Request", StringComparison.Ordinal)))
        {
            foreach (var field in schema!["required"]?.AsArray().Select(n => n.Str()) ?? [])
            {
                var type = schema["properties"]![field]!["type"];
                Assert.False(type is System.Text.Json.Nodes.JsonArray types && types.Any(t => t.Str() == "null"), $"{name}.{field} is required but documented as nullable");
            }
        }
    }

    [Fact]
    public async Task every_operation_answers_as_the_document_says()
    {
        using var editor = fixture.Host.Client(ControlPlaneHost.EditorToken);
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        using var anonymous = fixture.Host.Client(token: null);
        var contract = await OpenApiContract.Load(viewer);
        var answered = new HashSet<string>();
        var mismatches = new List<string>();
        async Task<System.Text.Json.Nodes.JsonNode?> Call(HttpClient http, HttpMethod method, string template, string path, object? body = null,
            Action<HttpRequestMessage>? prepare = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = System.Net.Http.Json.JsonContent.Create(body);
            }
            prepare?.Invoke(request);
            using var response = await http.SendAsync(request);
            answered.Add($"{method.Method} {template}");
            if ((int)response.StatusCode >= 400)
            {
                mismatches.Add($"{method} {path}: refused, {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
            mismatches.AddRange(await contract.Mismatches(method, template, response));
            mismatches.AddRange(contract.UndocumentedHeaders(method, template, response));
            var text = await response.Content.ReadAsStringAsync();
            return text.Length == 0 ? null : System.Text.Json.Nodes.JsonNode.Parse(text);
        }
        const string P = "/policies/contract-walk";

        await Call(anonymous, HttpMethod.Get, "/health", "/health");
        await Call(viewer, HttpMethod.Get, "/signing-key", "/signing-key");
        await Call(editor, HttpMethod.Post, "/policies", "/policies", new { name = "contract-walk", reason = "r" });
        await Call(editor, HttpMethod.Post, "/policies/{policy}/clients", $"{P}/clients", new { name = "work", addresses = new[] { "10.137.0.10", "2001:db8::10" }, reason = "r" });
        await Call(editor, HttpMethod.Post, "/policies/{policy}/clients", $"{P}/clients", new { name = "personal", addresses = new[] { "10.137.0.11" }, reason = "r" });
        var web = (await Call(editor, HttpMethod.Post, "/policies/{policy}/clients/{client}/rules", $"{P}/clients/work/rules",
            new { rule = "action=accept proto=tcp dstports=443 comment=web", reason = "r" }))!["id"].Str();
        var imported = (await Call(editor, HttpMethod.Post, "/policies/{policy}/clients/{client}/rules/import", $"{P}/clients/work/rules/import",
            new { lines = new[] { "action=accept dsthost=example.com", "action=drop" }, reason = "r" }))!["ids"]!.AsArray().Select(i => i.Str()).ToArray();
        await Call(editor, HttpMethod.Post, "/policies/{policy}/rules/{ruleId}/move", $"{P}/rules/{imported[0]}/move", new { position = 0, reason = "r" }, r => r.Headers.IfMatch.Add(new EntityTagHeaderValue("\"5\"")));
        await Call(editor, HttpMethod.Post, "/policies/{policy}/tests", $"{P}/tests", new { client = "work", to = "192.0.2.1", proto = "tcp", port = 443, expect = "accept", reason = "r" });
        var test = (await Call(editor, HttpMethod.Post, "/policies/{policy}/tests", $"{P}/tests",
            new { client = "personal", to = "192.0.2.9", proto = "icmp", icmpType = 8, expect = "drop", reason = "r" }))!["id"].Str();
        await Call(viewer, HttpMethod.Get, "/policies/{policy}/tests", $"{P}/tests");
        await Call(editor, HttpMethod.Post, "/policies/{policy}/publish", $"{P}/publish", new { reason = "r" });
        await Call(editor, HttpMethod.Post, "/policies/{policy}/rules/{ruleId}/replace", $"{P}/rules/{web}/replace", new { rule = "action=accept proto=tcp dstports=443-444", reason = "r" });
        await Call(editor, HttpMethod.Post, "/policies/{policy}/tests/{testId}/remove", $"{P}/tests/{test}/remove", new { reason = "r" });
        await Call(editor, HttpMethod.Post, "/policies/{policy}/rules/{ruleId}/remove", $"{P}/rules/{imported[1]}/remove", new { reason = "r" });
        await Call(editor, HttpMethod.Post, "/policies/{policy}/clients/{client}/remove", $"{P}/clients/personal/remove", new { reason = "r" });
        await Call(editor, HttpMethod.Post, "/policies/{policy}/publish", $"{P}/publish", new { reason = "r", confirmWithinSeconds = 600 });
        await Call(viewer, HttpMethod.Get, "/policies", "/policies");
        await Call(viewer, HttpMethod.Get, "/policies/{policy}", P);
        await Call(editor, HttpMethod.Post, "/policies/{policy}/confirm", $"{P}/confirm", new { reason = "r", version = 2 });
        await Call(editor, HttpMethod.Post, "/policies/{policy}/rollback", $"{P}/rollback", new { toVersion = 1, reason = "r" });
        await Call(editor, HttpMethod.Post, "/policies/{policy}/clients/{client}/rules", $"{P}/clients/work/rules", new { rule = "action=reject", position = 0, reason = "r" });
        await Call(editor, HttpMethod.Post, "/policies/{policy}/rollback", $"{P}/rollback", new { toVersion = 3, reason = "r" });
        await Call(viewer, HttpMethod.Get, "/policies/{policy}", $"{P}?at={Uri.EscapeDataString(DateTimeOffset.UtcNow.ToString("O"))}");
        await Call(viewer, HttpMethod.Get, "/policies/{policy}/history", $"{P}/history");
        await Call(viewer, HttpMethod.Get, "/policies/{policy}/history", $"{P}/history?limit=2");
        await Call(viewer, HttpMethod.Get, "/policies/{policy}/history", $"{P}/history?limit=2&before=3");
        await Call(viewer, HttpMethod.Get, "/policies/{policy}/diff", $"{P}/diff?from=1&to=2");
        await Call(viewer, HttpMethod.Get, "/policies/{policy}/diff", $"{P}/diff?from=2&to=draft");
        await Call(viewer, HttpMethod.Get, "/policies/{policy}/snapshots", $"{P}/snapshots");
        var file = await Call(viewer, HttpMethod.Get, "/policies/{policy}/snapshots/{version}", $"{P}/snapshots/latest");
        var tag = new EntityTagHeaderValue($"\"3-{file!["contentSha256"].Str()[..16]}\"");
        await Call(viewer, HttpMethod.Get, "/policies/{policy}/snapshots/{version}", $"{P}/snapshots/3", prepare: r => r.Headers.IfNoneMatch.Add(tag));

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        var unanswered = contract.Operations().Select(o => $"{o.Method} {o.Path}").Where(o => !answered.Contains(o)).ToArray();
        Assert.True(unanswered.Length == 0, "not exercised: " + string.Join(", ", unanswered));
    }

    [Fact]
    public async Task no_operation_lists_a_refusal_nothing_in_its_request_can_bring()
    {
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        var contract = await OpenApiContract.Load(viewer);
        var listed = new List<string>();

        foreach (var (method, path, operation) in contract.Operations())
        {
            var responses = operation["responses"]?.AsObject() ?? [];
            var parameters = operation["parameters"]?.AsArray() ?? [];
            // Only a path names a policy, client, rule, test or version that may not exist.
            if (responses.ContainsKey("404") && !parameters.Any(p => p?["in"].Str() == "path"))
            {
                listed.Add($"{method} {path}: 404, with nothing in its path to be missing");
            }
            // A 400 is a body field, a path or query parameter or an If-Match the server cannot read; X-Correlation-Id is replaced, never refused.
            var readable = operation["requestBody"] is not null
                || parameters.Any(p => p?["in"].Str() is "path" or "query" || p?["name"].Str() == "If-Match");
            if (responses.ContainsKey("400") && !readable)
            {
                listed.Add($"{method} {path}: 400, with nothing in its request to be malformed");
            }
        }
        // A new policy has no rules, tests or clients for a change to break: it is made, or its name is taken (409).
        if (contract.Operation(HttpMethod.Post, "/policies")["responses"]?["422"] is not null)
        {
            listed.Add("POST /policies: 422, which no policy being created can answer");
        }

        Assert.True(listed.Count == 0, string.Join("\n", listed));
    }

    public static TheoryData<string, string, string> RequestsAndWhetherTheServerTakesThem() => new()
    {
        { "/policies/{policy}/tests", """{"client":"work","to":"192.0.2.1","proto":"tcp","port":443,"expect":"accept","reason":"r"}""", "taken" },
        { "/policies/{policy}/tests", """{"client":"work","to":"192.0.2.1","proto":"icmp","icmpType":8,"expect":"drop","reason":"r"}""", "taken" },
        { "/policies/{policy}/tests", """{"client":"work","to":"192.0.2.1","proto":"tcp","port":443,"expect":"maybe","reason":"r"}""", "refused" },
        { "/policies/{policy}/tests", """{"client":"work","to":"192.0.2.1","proto":"sctp","port":443,"expect":"accept","reason":"r"}""", "refused" },
        { "/policies/{policy}/tests", """{"client":"work","to":"192.0.2.1","proto":"tcp","port":65536,"expect":"accept","reason":"r"}""", "refused" },
        { "/policies/{policy}/tests", """{"client":"work","to":"192.0.2.1","proto":"icmp","icmpType":256,"expect":"drop","reason":"r"}""", "refused" },
        { "/policies/{policy}/publish", """{"reason":"r","confirmWithinSeconds":0}""", "refused" },
        { "/policies/{policy}/publish", """{"reason":"r","confirmWithinSeconds":86401}""", "refused" },
        { "/policies/{policy}/clients/{client}/rules", """{"rule":"action=drop","position":-1,"reason":"r"}""", "refused" },
        { "/policies/{policy}/rules/{ruleId}/move", """{"position":-1,"reason":"r"}""", "refused" },
        { "/policies/{policy}/rollback", """{"toVersion":0,"reason":"r"}""", "refused" },
        { "/policies/{policy}/confirm", """{"version":0,"reason":"r"}""", "refused" },
    };

    [Theory]
    [MemberData(nameof(RequestsAndWhetherTheServerTakesThem))]
    public async Task the_documented_request_schema_takes_the_values_the_server_takes_and_no_others(string template, string body, string server)
    {
        using var editor = fixture.Host.Client(ControlPlaneHost.EditorToken);
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        var contract = await OpenApiContract.Load(viewer);
        var policy = "contract-values-" + Guid.NewGuid().ToString("N")[..8];
        await editor.CreatePolicyWithWork(policy);
        var rule = await editor.AddRule(policy, "work", "action=accept");
        var path = template.Replace("{policy}", policy).Replace("{client}", "work").Replace("{ruleId}", rule);

        using var answer = await editor.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        var refusedByServer = answer.StatusCode == HttpStatusCode.BadRequest;
        var refusedByDocument = contract.RequestMismatches(HttpMethod.Post, template, System.Text.Json.Nodes.JsonNode.Parse(body)!);

        Assert.Equal(server == "refused", refusedByServer);
        Assert.True(refusedByServer == (refusedByDocument.Length > 0),
            $"server {(refusedByServer ? "refuses" : "takes")} {body}; the document {(refusedByDocument.Length > 0 ? "refuses it: " + string.Join("; ", refusedByDocument) : "takes it")}");
    }

    [Theory]
    [InlineData("limit", "1", "taken")]
    [InlineData("limit", "1000", "taken")]
    [InlineData("limit", "0", "refused")]
    [InlineData("limit", "1001", "refused")]
    [InlineData("limit", "many", "refused")]
    [InlineData("before", "1", "taken")]
    [InlineData("before", "0", "refused")]
    [InlineData("before", "r-1", "refused")]
    public async Task the_history_paging_parameters_are_documented_with_the_values_the_server_takes(string name, string value, string server)
    {
        using var editor = fixture.Host.Client(ControlPlaneHost.EditorToken);
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        var contract = await OpenApiContract.Load(viewer);
        var policy = "contract-paging-" + Guid.NewGuid().ToString("N")[..8];
        await editor.CreatePolicy(policy);
        var operation = contract.Operation(HttpMethod.Get, "/policies/{policy}/history");
        var schema = operation["parameters"]!.AsArray().Single(p => p!["name"].Str() == name && p["in"].Str() == "query")!["schema"]!;

        using var answer = await viewer.GetAsync($"/policies/{policy}/history?{name}={value}");

        var documented = long.TryParse(value, CultureInfo.InvariantCulture, out var number)
            && number >= long.Parse(schema["minimum"]!.ToString(), CultureInfo.InvariantCulture)
            && (schema["maximum"] is not { } maximum || number <= long.Parse(maximum.ToString(), CultureInfo.InvariantCulture));
        Assert.Equal("integer", schema["type"]!.ToString());
        Assert.Empty(await contract.Mismatches(HttpMethod.Get, "/policies/{policy}/history", answer));
        Assert.Equal(server == "taken", answer.StatusCode == HttpStatusCode.OK);
        Assert.Equal(server == "taken", documented);
        if (server == "refused")
        {
            Assert.Equal([name], (await answer.Problem(HttpStatusCode.BadRequest)).ErrorKeys());
        }
        Assert.NotNull(operation["responses"]!["200"]!["headers"]?["Link"]);
    }

    [Fact]
    public async Task answer_fields_that_take_a_fixed_set_of_values_are_documented_as_enums_that_hold_what_the_server_sends()
    {
        using var editor = fixture.Host.Client(ControlPlaneHost.EditorToken);
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        using var anonymous = fixture.Host.Client(token: null);
        var contract = await OpenApiContract.Load(viewer);
        const string P = "/policies/contract-enums";
        await editor.CreatePolicyWithWork("contract-enums");
        await editor.AddClient("contract-enums", "gone", "10.137.0.20");
        await editor.Publish("contract-enums");
        await editor.Post($"{P}/clients/gone/remove", new { reason = "r" }).Ok();
        await editor.AddClient("contract-enums", "new", "10.137.0.30");
        await editor.AddRule("contract-enums", "work", "action=reject");
        await editor.Post($"{P}/tests", new { client = "work", to = "192.0.2.1", port = 80, expect = "accept", reason = "r" }).Ok();
        await editor.AddTest("contract-enums", "new", "192.0.2.1", "icmp", null, "drop");
        var mismatches = new List<string>();
        async Task<string> Hold(HttpClient http, HttpMethod method, string template, string path, object? body = null)
        {
            using var answer = await http.Send(method, path, body);
            mismatches.AddRange(await contract.Mismatches(method, template, answer));
            return await answer.Content.ReadAsStringAsync();
        }

        // The diff names a client added, one removed and one unchanged; the failing publish a test that got reject.
        var diff = await Hold(viewer, HttpMethod.Get, "/policies/{policy}/diff", $"{P}/diff?from=1&to=draft");
        var failed = await Hold(editor, HttpMethod.Post, "/policies/{policy}/publish", $"{P}/publish", new { reason = "r" });
        await Hold(viewer, HttpMethod.Get, "/policies/{policy}/history", $"{P}/history");
        await Hold(viewer, HttpMethod.Get, "/policies/{policy}/tests", $"{P}/tests");
        await Hold(viewer, HttpMethod.Get, "/policies/{policy}/snapshots/{version}", $"{P}/snapshots/1");
        await Hold(anonymous, HttpMethod.Get, "/health", "/health");

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        Assert.Contains("\"status\":\"added\"", diff);
        Assert.Contains("\"status\":\"removed\"", diff);
        Assert.Contains("\"status\":\"unchanged\"", diff);
        Assert.Contains("\"got\":\"reject\"", failed);
        var schemas = contract.Document["components"]!["schemas"]!;
        // null, where the field may be null, as the word.
        string[] Values(System.Text.Json.Nodes.JsonNode? field) =>
            field?["enum"]?.AsArray().Select(v => v?.GetValue<string>() ?? "null").Order(StringComparer.Ordinal).ToArray() ?? [];
        Assert.Equal(["added", "removed", "unchanged"], Values(schemas["ClientDiff"]!["properties"]!["status"]));
        Assert.Equal(["icmp", "null", "tcp", "udp"], Values(schemas["PolicyTest"]!["properties"]!["proto"]));
        Assert.Equal(["accept", "drop"], Values(schemas["PolicyTest"]!["properties"]!["expect"]));
        Assert.Equal(["ok"], Values(schemas["HealthStatus"]!["properties"]!["status"]));
        Assert.Equal(["lethe.snapshot/1", "lethe.snapshot/2"], Values(schemas["SealedSnapshot"]!["properties"]!["format"]));
        Assert.Equal(["client_added", "client_removed", "draft_restored", "policy_created", "policy_published", "policy_rolled_back",
            "policy_test_added", "policy_test_removed", "publish_confirmed", "publish_reverted", "revert_abandoned", "rule_added",
            "rule_moved", "rule_removed", "rule_replaced", "rules_imported"], Values(schemas["HistoryEntry"]!["properties"]!["event"]));
        var failure = schemas["ProblemDetails"]!["properties"]!["failures"]!["items"]!["properties"];
        Assert.Equal(["accept", "drop"], Values(failure?["expected"]));
        Assert.Equal(["accept", "drop", "reject"], Values(failure?["got"]));
        Assert.Equal(["icmp", "null", "tcp", "udp"], Values(failure?["proto"]));

        // A value outside the list is a mismatch, as a client generated from the document would refuse it.
        using var doctored = new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(diff.Replace("\"status\":\"removed\"", "\"status\":\"renamed\""), Encoding.UTF8, "application/json"),
        };
        Assert.Contains(await contract.Mismatches(HttpMethod.Get, "/policies/{policy}/diff", doctored), m => m.Contains("'renamed'") || m.Contains("\"renamed\""));
    }

    [Fact]
    public async Task the_snapshot_list_and_the_signing_key_have_named_schemas_whose_fields_are_never_null()
    {
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        var contract = await OpenApiContract.Load(viewer);

        var list = contract.Operation(HttpMethod.Get, "/policies/{policy}/snapshots")["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["items"]!["$ref"].Str();
        var key = contract.Operation(HttpMethod.Get, "/signing-key")["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"].Str();

        // A name made of the field types changes with every field added, and renames the class a client generated from it.
        Assert.DoesNotContain("AnonymousType", list + key, StringComparison.Ordinal);
        var schemas = contract.Document["components"]!["schemas"]!;
        foreach (var (schema, field) in new[] { (list, "contentSha256"), (list, "keyId"), (key, "keyId"), (key, "publicKeyPem") })
        {
            Assert.Equal("string", schemas[schema.Split('/')[^1]]!["properties"]![field]!["type"]!.ToJsonString().Trim('"'));
        }
    }
}
