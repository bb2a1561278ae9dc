using System.Net;
using Lethe.Domain.Snapshots;

namespace Lethe.Firewall;

/// <summary>
/// Polls the control plane for a newer snapshot with If-None-Match, so an unchanged policy costs a
/// 304. A new version is verified before anything else happens; one that does not verify is refused
/// here, and the swap refuses one of another policy or not newer than the running one. Whatever
/// goes wrong in one round is logged (a failure that repeats, thinned out by
/// <see cref="WatchFailureLog"/>) and the running policy stays; the watch goes on.
/// </summary>
public sealed class SnapshotWatcher(string url, string trustedKeyPem, string? token, TimeSpan interval, TextWriter log)
{
    private string? _etag;

    /// <summary>The SHA-256 of the last bytes refused, so that a refusal served every round is logged once.</summary>
    private string? _refusedSha256;

    /// <summary>Which failed rounds are said: a control plane down for hours must not flood the journal.</summary>
    private readonly WatchFailureLog _failures = new();

    /// <param name="running">The version running and its content hash: a snapshot that differs in either goes to <paramref name="swap"/>, which decides.</param>
    public async Task Run(Func<(int Version, string ContentSha256)> running, Action<VerifiedSnapshot> swap, CancellationToken ct)
    {
        using var http = SnapshotHttp.Create();
        using var timer = new PeriodicTimer(interval);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (await Wait(timer, ct))
        {
            string? why;
            try
            {
                why = await Round(http, running, swap, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return; // shutting down
            }
            // Every round still asks (a fix must reach the firewall within the interval); only the lines thin out.
            var now = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            var line = why is null ? _failures.Answered(now) : _failures.Failed(why, now);
            if (line is not null)
            {
                await log.WriteLineAsync(why is null ? $"watch: {line}" : $"watch: {line}; keeping version {running().Version}");
            }
        }
    }

    /// <summary>One round: asks, verifies and hands a newer snapshot to <paramref name="swap"/>.</summary>
    /// <returns>Why the round failed, or null when the control plane answered (a refused snapshot included: that is logged here, once).</returns>
    private async Task<string?> Round(HttpClient http, Func<(int Version, string ContentSha256)> running, Action<VerifiedSnapshot> swap, CancellationToken ct)
    {
        try
        {
            using var request = SnapshotHttp.Get(url, token);
            if (_etag is not null)
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", _etag);
            }
            using var response = await http.SendAsync(request, ct);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return null;
            }
            if (!response.IsSuccessStatusCode)
            {
                return $"{Lethe.Hosts.ArgvText.Word(url)} answered {await SnapshotHttp.Describe(response, ct)}";
            }
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            var etag = response.Headers.ETag?.ToString();
            VerifiedSnapshot verified;
            try
            {
                verified = SnapshotSource.VerifyFrom(url, bytes, trustedKeyPem);
            }
            catch (SnapshotVerificationException e)
            {
                // Its ETag is not kept: the bytes may have been cut short or damaged on the way
                // (a body read to the connection's close carries the real version's ETag), and a
                // 304 from then on would hold the old policy until the next publish. Asked for
                // again each round instead, and the same refusal said only once.
                var sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes));
                if (sha != _refusedSha256)
                {
                    _refusedSha256 = sha;
                    await log.WriteLineAsync($"watch: refusing the new snapshot, keeping version {running().Version}: {e.Message}");
                }
                return null;
            }
            _refusedSha256 = null;
            if ((verified.Envelope.Version, verified.Envelope.ContentSha256) != running())
            {
                swap(verified);
            }
            // Only now: after a swap that failed, the next round must fetch the version again, not get a 304.
            _etag = etag;
            return null;
        }
        catch (HttpRequestException e)
        {
            return SnapshotHttp.Describe(url, e);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw; // shutting down
        }
        catch (TaskCanceledException)
        {
            return $"{Lethe.Hosts.ArgvText.Word(url)} timed out";
        }
        catch (Exception e)
        {
            // Anything else (a swap that failed, say) must not end the watch: the next round tries again.
            return Lethe.Hosts.ArgvText.Shown($"could not take the snapshot from {url}: {e.Message}", [url]);
        }
    }

    private static async Task<bool> Wait(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
