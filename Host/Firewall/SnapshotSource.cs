using Lethe.Domain.Snapshots;

namespace Lethe.Firewall;

/// <summary>Loads and verifies a snapshot from a file or an HTTP(S) URL; nothing that does not verify gets past here.</summary>
public static class SnapshotSource
{
    public static async Task<VerifiedSnapshot> Load(string location, string trustedKeyPath, string? token, CancellationToken ct)
    {
        string pem;
        try
        {
            pem = await File.ReadAllTextAsync(trustedKeyPath, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SnapshotVerificationException($"cannot read the trusted key {trustedKeyPath}: {e.Message}");
        }
        var bytes = await Fetch(location, token, ct);
        return SnapshotVerifier.Verify(bytes, pem);
    }

    /// <summary>A file read as a fetch is: at most <see cref="SnapshotHttp.MaxBytes"/>, so a device such as /dev/zero is refused, not read forever.</summary>
    private static async Task<byte[]> ReadCapped(string path, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await file.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > SnapshotHttp.MaxBytes)
            {
                throw new SnapshotVerificationException($"{path} is larger than {SnapshotHttp.MaxBytes / (1024 * 1024)} MiB, which no snapshot is");
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>A control plane's URL (fetched, and watched by boot) rather than a file.</summary>
    public static bool IsUrl(string location) =>
        location.StartsWith("http://", StringComparison.Ordinal) || location.StartsWith("https://", StringComparison.Ordinal);

    public static async Task<byte[]> Fetch(string location, string? token, CancellationToken ct)
    {
        if (IsUrl(location))
        {
            using var http = SnapshotHttp.Create();
            using var request = SnapshotHttp.Get(location, token);
            try
            {
                using var response = await http.SendAsync(request, ct);
                if (!response.IsSuccessStatusCode)
                {
                    throw new SnapshotVerificationException($"{location} answered {SnapshotHttp.Describe(response)}");
                }
                return await response.Content.ReadAsByteArrayAsync(ct);
            }
            catch (HttpRequestException e)
            {
                throw new SnapshotVerificationException($"cannot fetch {location}: {e.Message}");
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new SnapshotVerificationException($"cannot fetch {location}: no answer within {SnapshotHttp.Timeout.TotalSeconds:0} s");
            }
        }
        try
        {
            return await ReadCapped(location, ct);
        }
        catch (IOException e)
        {
            throw new SnapshotVerificationException($"cannot read {location}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new SnapshotVerificationException($"cannot read {location}: {e.Message}");
        }
    }
}
