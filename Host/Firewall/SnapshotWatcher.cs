using System.Net;
using Lethe.Domain.Snapshots;

namespace Lethe.Firewall;

/// <summary>
/// Polls the control plane for a newer snapshot with If-None-Match, so an unchanged policy costs a
/// 304. A new version is verified before anything else happens; one that does not verify is refused
/// here, and the swap refuses one of another policy or not newer than the running one. Whatever
/// goes wrong in one round is logged and the running policy stays; the watch goes on.
/// </summary>
public sealed class SnapshotWatcher(string url, string trustedKeyPem, string? token, TimeSpan interval, TextWriter log)
{
    private string? _etag;

    /// <summary>The SHA-256 of the last bytes refused, so that a refusal served every round is logged once.</summary>
    private string? _refusedSha256;

    /// <param name="running">The version running and its content hash: a snapshot that differs in either goes to <paramref name="swap"/>, which decides.</param>
    public async Task Run(Func<(int Version, string ContentSha256)> running, Action<VerifiedSnapshot> swap, CancellationToken ct)
    {
        using var http = SnapshotHttp.Create();
        using var timer = new PeriodicTimer(interval);
        while (await Wait(timer, ct))
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
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                {
                    await log.WriteLineAsync($"watch: {url} answered {SnapshotHttp.Describe(response)}; keeping version {running().Version}");
                    continue;
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
                    continue;
                }
                _refusedSha256 = null;
                if ((verified.Envelope.Version, verified.Envelope.ContentSha256) != running())
                {
                    swap(verified);
                }
                // Only now: after a swap that failed, the next round must fetch the version again, not get a 304.
                _etag = etag;
            }
            catch (HttpRequestException e)
            {
                await log.WriteLineAsync($"watch: {SnapshotHttp.Describe(url, e)}; keeping version {running().Version}");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return; // shutting down
            }
            catch (TaskCanceledException)
            {
                await log.WriteLineAsync($"watch: {url} timed out; keeping version {running().Version}");
            }
            catch (Exception e)
            {
                // Anything else (a swap that failed, say) must not end the watch: the next round tries again.
                await log.WriteLineAsync($"watch: could not take the snapshot from {url}: {e.Message}; keeping version {running().Version}");
            }
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
