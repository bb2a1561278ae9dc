using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Lethe.Control.Tests.ApiFuzz;
using Lethe.TestSupport.Host;
using Xunit.Abstractions;

namespace Lethe.Control.Tests;

/// <summary>
/// Mutated requests to every writing endpoint (bodies, If-Match, Content-Type, Accept, path segments) and
/// odd queries to the reads, against the real server and PostgreSQL, from a fixed seed. What a user relies on:
/// no 500; every 4xx is problem details with a title and a detail, a 400 names the field at fault; a refusal
/// changes nothing (events, snapshots, GET answers and ETag); an accepted change reads back and can be sealed.
/// LETHE_API_FUZZ_REQUESTS sets how many requests (default 400, about 10 s); LETHE_API_FUZZ_SEED the seed;
/// LETHE_API_FUZZ_REPORT a file for the status-code histogram.
/// </summary>
public class ApiRequestFuzzTests(HostFixture fixture, ITestOutputHelper output) : IClassFixture<HostFixture>
{
    private const string Policy = "fz";

    private ControlPlaneHost Host => fixture.Host;

    [Fact]
    public async Task mutated_requests_get_no_500_refusals_are_problems_that_change_nothing_and_accepted_changes_can_be_sealed()
    {
        var requests = int.TryParse(Environment.GetEnvironmentVariable("LETHE_API_FUZZ_REQUESTS"), out var n) ? n : 400;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("LETHE_API_FUZZ_SEED"), out var s) ? s : 20261202;
        var random = new Random(seed);
        using var editor = Host.Client();
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        await editor.CreatePolicyWithWork(Policy);
        await editor.AddRule(Policy, "work", "action=accept dst4=192.0.2.10 proto=tcp dstports=443");
        await editor.AddTest(Policy, "work", "192.0.2.10", "tcp", 443, "accept");
        await editor.Publish(Policy);

        var histogram = new SortedDictionary<int, int>();
        var failures = new List<string>();
        var answers = new List<string>();
        for (var i = 0; i < requests && failures.Count < 10; i++)
        {
            await Replenish(editor);
            var before = await FuzzState.Of(Host, viewer, Policy);
            var request = Next(random, i, JsonNode.Parse(before.Draft)!, before.ETag);
            using var message = request.ToMessage();
            using var response = await editor.SendAsync(message);
            var text = await response.Content.ReadAsStringAsync();
            var code = (int)response.StatusCode;
            histogram[code] = histogram.GetValueOrDefault(code) + 1;
            answers.Add($"{code} {request.Method} {Kind(request)}");

            var wrong = RefusedByKestrel(request, code, text) ? null
                : AnswerShape.Problem(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, request.Field)
                    ?? AnswerShape.Headers(response, request.CorrelationId);
            if (wrong is null && code is >= 200 and < 300 && request.Writes)
            {
                // A create answers the name it made, which a mutated body may have changed.
                var policy = code == 201 ? JsonNode.Parse(text)!["policy"].Str() : request.Policy;
                // Sealed every other time only: a draft always published would leave publish and confirm nothing to accept.
                wrong = await ReadsBack(viewer, policy, response.Headers.ETag?.Tag) ?? (random.Next(2) == 0 ? await Seals(editor, viewer, policy) : null);
            }
            else if (wrong is null)
            {
                var changed = before.Differences(await FuzzState.Of(Host, viewer, Policy));
                wrong = changed.Length == 0 ? null : $"answered {code} yet changed: {changed}";
            }
            if (wrong is not null)
            {
                failures.Add($"#{i} {request}\n  {wrong}");
            }
        }

        var report = $"seed {seed}, {histogram.Values.Sum()} requests: " + string.Join(", ", histogram.Select(h => $"{h.Key}: {h.Value}"));
        output.WriteLine(report);
        if (Environment.GetEnvironmentVariable("LETHE_API_FUZZ_REPORT") is { Length: > 0 } path)
        {
            // Which mutation got which answer, for a reader checking that nothing absurd was accepted.
            var byKind = answers.GroupBy(a => a).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count(),6} {g.Key}");
            await File.WriteAllTextAsync(path, report + "\n" + string.Join("\n\n", failures) + "\n\n" + string.Join("\n", byKind) + "\n");
        }
        Assert.True(failures.Count == 0, report + "\n\n" + string.Join("\n\n", failures));
        // Many must be refused and some accepted, or the mutations test only one side.
        Assert.True(histogram.GetValueOrDefault(400) > requests / 5 && histogram.Where(h => h.Key < 300).Sum(h => h.Value) > requests / 20, report);
    }

    /// <summary>
    /// Kestrel itself answers a path that decodes to a NUL with a bare 400, and a request line longer than 8 KiB
    /// with a bare 414, before any of the server's code runs (it has no hook for its own refusals); the README says so. Nothing else may be answered without problem details.
    /// </summary>
    private static bool RefusedByKestrel(FuzzRequest request, int code, string text) => text.Length == 0
        && ((code == 400 && request.Path.Contains("%00", StringComparison.Ordinal))
            || (code == 414 && request.Path.Length > KestrelRequestLine));

    /// <summary>Kestrel's MaxRequestLineSize: a longer method, path, query and version is answered 414 by Kestrel itself.</summary>
    private const int KestrelRequestLine = 8 * 1024 - 20;

    /// <summary>The endpoint (ids left out) and what was done to the request, without its values.</summary>
    private static string Kind(FuzzRequest request)
    {
        string[] words = ["clients", "rules", "import", "remove", "move", "replace", "tests", "publish", "confirm", "rollback", "diff", "history", "snapshots"];
        var path = request.Mutation == "path" ? "(path)"
            : request.Path.Split('?')[0] is "/policies" or "/policies/" ? "policies"
            : string.Join('/', request.Path.Split('?')[0].Split('/').Skip(3).Where(words.Contains)) is { Length: > 0 } named ? named : "policy";
        var mutation = request.Mutation.Split(' ', 2)[0];
        return $"{path} {mutation} {(request.Field is null ? "" : request.Mutation)}";
    }

    /// <summary>The next request: a GET with an odd query now and then, else a write with one thing broken.</summary>
    private static FuzzRequest Next(Random random, int serial, JsonNode draft, string? etag)
    {
        if (random.Next(5) == 0)
        {
            var path = FuzzTargets.Query(Policy, draft, random, out var field);
            return new FuzzRequest(HttpMethod.Get, path, null, null, null, HeaderMutations.Accept(random), HeaderMutations.CorrelationId(random), field, "query", Policy);
        }
        var target = FuzzTargets.Make(random.Next(FuzzTargets.Count), Policy, draft, serial, random);
        var json = Encoding.UTF8.GetBytes(target.Body.ToJsonString());
        var current = long.Parse(etag!.Trim('"'), System.Globalization.CultureInfo.InvariantCulture);
        // One thing is broken at a time, so the 400 has one field to name.
        switch (random.Next(10))
        {
            case 0 or 1:
                {
                    var (value, malformed) = HeaderMutations.IfMatch(current, random);
                    // A create takes no If-Match at all.
                    var field = malformed || target.Path == "/policies" ? "If-Match" : null;
                    return new FuzzRequest(HttpMethod.Post, target.Path, json, "application/json", value, null, null, field, "If-Match " + value, target.Policy);
                }
            case 2:
                {
                    var type = HeaderMutations.ContentType(random);
                    return new FuzzRequest(HttpMethod.Post, target.Path, json, type, null, null, HeaderMutations.CorrelationId(random), null, "Content-Type " + (type ?? "(none)"), target.Policy);
                }
            case 3:
                {
                    // The policy segment may be the one replaced, and name another policy the fuzzer made ("latest", say).
                    var path = PathMutations.Apply(target.Path, random);
                    var policy = target.Path == "/policies" ? target.Policy : Uri.UnescapeDataString(path.Split('/')[2]);
                    return new FuzzRequest(HttpMethod.Post, path, json, "application/json", null, HeaderMutations.Accept(random), null, null, "path", policy);
                }
            case 4 when random.Next(3) == 0:
                {
                    // A method the path does not take: 405, naming those it does.
                    HttpMethod[] methods = [HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Get];
                    var method = methods[random.Next(methods.Length)];
                    return new FuzzRequest(method, target.Path, method == HttpMethod.Get ? null : json, "application/json", null, null, null, null,
                        "method " + method, target.Policy);
                }
            default:
                {
                    var mutated = BodyMutations.Apply(target.Body, random);
                    var type = mutated.Mutation.StartsWith("charset ", StringComparison.Ordinal) ? "application/json; charset=" + mutated.Mutation[8..] : "application/json";
                    return new FuzzRequest(HttpMethod.Post, target.Path, mutated.Bytes, type, null, HeaderMutations.Accept(random),
                        HeaderMutations.CorrelationId(random), mutated.Field, mutated.Mutation, target.Policy);
                }
        }
    }

    /// <summary>An accepted change leaves a policy GET reads, at the version the answer's ETag gave.</summary>
    private static async Task<string?> ReadsBack(HttpClient viewer, string policy, string? answeredTag)
    {
        using var read = await viewer.GetAsync($"/policies/{policy}");
        if (read.StatusCode != HttpStatusCode.OK)
        {
            return $"accepted, but GET /policies/{policy} answers {(int)read.StatusCode}: {await read.Content.ReadAsStringAsync()}";
        }
        if (answeredTag is not null && read.Headers.ETag?.Tag != answeredTag)
        {
            return $"accepted with ETag {answeredTag}, but GET answers ETag {read.Headers.ETag?.Tag}";
        }
        return null;
    }

    /// <summary>
    /// An accepted change leaves a policy publish seals: a publish on trial is confirmed first, and a test the
    /// change made fail is removed (that 422 is what tests are for), as is an identical draft's 409.
    /// </summary>
    private static async Task<string?> Seals(HttpClient editor, HttpClient viewer, string policy)
    {
        await SettleTrial(editor, viewer, policy, TimeSpan.MaxValue);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var published = await editor.Post($"/policies/{policy}/publish", new { reason = "fuzz: seal what was accepted" });
            var text = await published.Content.ReadAsStringAsync();
            if (published.StatusCode == HttpStatusCode.OK || (published.StatusCode == HttpStatusCode.Conflict && text.Contains("nothing to publish", StringComparison.Ordinal)))
            {
                return null;
            }
            if (published.StatusCode != HttpStatusCode.UnprocessableEntity || JsonNode.Parse(text)?["failures"] is not JsonArray failing)
            {
                return $"accepted, but publish then answers {(int)published.StatusCode}: {text}";
            }
            foreach (var test in failing)
            {
                (await editor.Post($"/policies/{policy}/tests/{test!["test"].Str()}/remove", new { reason = "fuzz: the change broke it" })).Dispose();
            }
        }
        return "accepted, but publish still fails after removing the failing tests";
    }

    /// <summary>
    /// A publish on trial whose deadline is nearer than <paramref name="within"/> is confirmed (or, when too late, waited out),
    /// so the watchdog changes nothing while a refusal is checked; one further off stays, for confirm to be fuzzed.
    /// </summary>
    private static async Task SettleTrial(HttpClient editor, HttpClient viewer, string policy, TimeSpan within)
    {
        for (var wait = 0; wait < 100; wait++)
        {
            var view = await viewer.Policy(policy);
            if (view["pendingVersion"] is null
                || (wait == 0 && within != TimeSpan.MaxValue && view["confirmBy"]!.GetValue<DateTimeOffset>() - DateTimeOffset.UtcNow > within))
            {
                return;
            }
            if (wait == 0)
            {
                (await editor.Post($"/policies/{policy}/confirm", new { reason = "fuzz: keep it" })).Dispose();
                continue;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"policy {policy} still waits for confirmation");
    }

    /// <summary>Keeps something for the mutations to aim at: a client with a rule and a test, and not so many rules that each request is slow.</summary>
    private static async Task Replenish(HttpClient editor)
    {
        var draft = await editor.Policy(Policy);
        var clients = draft["clients"]!.AsArray();
        if (clients.Count == 0)
        {
            await editor.AddClient(Policy, "work", "10.137.0.10");
            clients = (await editor.Policy(Policy))["clients"]!.AsArray();
        }
        var first = clients[0]!["name"].Str();
        var rules = clients.Sum(c => c!["rules"]!.AsArray().Count);
        if (rules == 0)
        {
            await editor.AddRule(Policy, first, "action=accept dst4=192.0.2.10 proto=tcp dstports=443");
        }
        foreach (var crowded in clients.Where(c => c!["rules"]!.AsArray().Count > 30))
        {
            await editor.Post($"/policies/{Policy}/clients/{crowded!["name"].Str()}/rules/import",
                new { lines = new[] { "action=accept dst4=192.0.2.10 proto=tcp dstports=443" }, replace = true, reason = "fuzz: fewer rules" }).Ok();
        }
        foreach (var extra in clients.Skip(8))
        {
            // Refused when a test names it; then it stays, which is as good.
            (await editor.Post($"/policies/{Policy}/clients/{extra!["name"].Str()}/remove", new { reason = "fuzz: fewer clients" })).Dispose();
        }
        if (draft["tests"]!.AsArray().Count == 0)
        {
            await editor.AddTest(Policy, first, "192.0.2.10", "tcp", 443, "accept");
        }
        // Far enough from its deadline that the watchdog cannot revert it while the next request is checked.
        await SettleTrial(editor, editor, Policy, TimeSpan.FromSeconds(20));
    }
}
