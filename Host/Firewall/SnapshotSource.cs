using Lethe.Domain.Snapshots;

namespace Lethe.Firewall;

/// <summary>Loads and verifies a snapshot from a file or an HTTP(S) URL; nothing that does not verify gets past here.</summary>
public static class SnapshotSource
{
    public static async Task<VerifiedSnapshot> Load(string location, string trustedKeyPath, string? token, CancellationToken ct) =>
        await LoadWithKey(location, token, await ReadTrustedKey(trustedKeyPath, ct), ct);

    /// <param name="trustedKeyPem">Read once by <see cref="ReadTrustedKey"/>: a key given through a pipe can be read only once.</param>
    /// <exception cref="SnapshotVerificationException">It does not verify, or a control plane's URL served another policy's snapshot.</exception>
    public static async Task<VerifiedSnapshot> LoadWithKey(string location, string? token, string trustedKeyPem, CancellationToken ct) =>
        VerifyFrom(location, await Fetch(location, token, ct), trustedKeyPem);

    /// <summary>
    /// Verifies what <paramref name="location"/> gave, and that it is the policy (and version) the URL
    /// names: at boot, on every round of the watch and on every SIGHUP alike.
    /// </summary>
    /// <exception cref="SnapshotVerificationException">It does not verify, or is not what the URL names.</exception>
    public static VerifiedSnapshot VerifyFrom(string location, byte[] file, string trustedKeyPem)
    {
        var verified = SnapshotVerifier.Verify(file, trustedKeyPem);
        // Every policy is signed with the same key: whoever answers for the URL (it may be plain HTTP)
        // could otherwise hand over a wider policy's genuine snapshot.
        var (named, version) = NamedBy(location);
        if (named is not null && verified.Envelope.Policy != named)
        {
            throw new SnapshotVerificationException(
                $"{Lethe.Hosts.ArgvText.Word(location)} is policy {Lethe.Hosts.ArgvText.Word(named)}'s, but the snapshot it served is of policy {verified.Envelope.Policy}; refused");
        }
        // The same for a version: every version is signed with the same key, so a URL that pins one
        // (a wider one withdrawn since, say) could otherwise be answered with another.
        if (version is { } pinned && verified.Envelope.Version != pinned)
        {
            throw new SnapshotVerificationException(
                $"{Lethe.Hosts.ArgvText.Word(location)} is version {pinned}'s, but the snapshot it served is version {verified.Envelope.Version}; refused");
        }
        return verified;
    }

    /// <summary>
    /// The policy a control plane's snapshot URL names (<c>.../policies/NAME/snapshots/...</c>), and the
    /// version when it names one rather than <c>latest</c>; nulls for a file or another URL.
    /// </summary>
    public static (string? Policy, long? Version) NamedBy(string location)
    {
        if (!IsUrl(location) || !Uri.TryCreate(location, UriKind.Absolute, out var uri))
        {
            return (null, null);
        }
        var segments = uri.AbsolutePath.Split('/');
        for (var i = 0; i + 2 < segments.Length; i++)
        {
            // The control plane's routes ignore case, so must this: /POLICIES/home/Snapshots/latest serves home's too.
            if (segments[i].Equals("policies", StringComparison.OrdinalIgnoreCase) && segments[i + 2].Equals("snapshots", StringComparison.OrdinalIgnoreCase))
            {
                var version = i + 3 < segments.Length
                    && long.TryParse(Uri.UnescapeDataString(segments[i + 3]), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
                    ? number
                    : (long?)null;
                return (Uri.UnescapeDataString(segments[i + 1]), version);
            }
        }
        return (null, null);
    }

    public static async Task<string> ReadTrustedKey(string path, CancellationToken ct)
    {
        if (path.Length == 0)
        {
            // An unset shell variable, say: named, not a stack trace.
            throw new SnapshotVerificationException("--trust is empty: give the path of the public key (lethe-signing.pub)");
        }
        try
        {
            // Bounded: a device such as /dev/zero, given by mistake, is refused, not read whole.
            var bytes = await Lethe.Hosts.CappedFile.Read(path, SnapshotLimits.MaxKeyBytes, ct)
                ?? throw new SnapshotVerificationException(Lethe.Hosts.ArgvText.Shown($"the trusted key {path} is larger than {SnapshotLimits.MaxKeyBytes / 1024} KiB, which no PEM public key is", [path]));
            return KeyText.Of(bytes, bytes.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The path as typed, and .NET's message quoting it: escaped, a pasted blob cut (this message is printed as it is).
            throw new SnapshotVerificationException(Lethe.Hosts.ArgvText.Shown($"cannot read the trusted key '{path}': {e.Message}", [path]));
        }
    }

    /// <summary>A file read as a fetch is: at most <see cref="SnapshotHttp.MaxBytes"/>, so a device such as /dev/zero is refused, not read forever.</summary>
    private static async Task<byte[]> ReadCapped(string path, CancellationToken ct) =>
        await Lethe.Hosts.CappedFile.Read(path, SnapshotHttp.MaxBytes, ct)
            ?? throw new SnapshotVerificationException(Lethe.Hosts.ArgvText.Shown($"{path} is larger than {SnapshotHttp.MaxBytes / (1024 * 1024)} MiB, which no snapshot is", [path]));

    /// <summary>A control plane's URL (fetched, and watched by boot) rather than a file.</summary>
    public static bool IsUrl(string location) =>
        location.StartsWith("http://", StringComparison.Ordinal) || location.StartsWith("https://", StringComparison.Ordinal);

    public static async Task<byte[]> Fetch(string location, string? token, CancellationToken ct)
    {
        if (location.Length == 0)
        {
            throw new SnapshotVerificationException("--snapshot is empty: give a snapshot file or a control plane's snapshot URL");
        }
        if (IsUrl(location))
        {
            using var http = SnapshotHttp.Create();
            using var request = SnapshotHttp.Get(location, token);
            try
            {
                using var response = await http.SendAsync(request, ct);
                if (!response.IsSuccessStatusCode)
                {
                    throw new SnapshotVerificationException($"{Lethe.Hosts.ArgvText.Word(location)} answered {await SnapshotHttp.Describe(response, ct)}");
                }
                return await response.Content.ReadAsByteArrayAsync(ct);
            }
            catch (HttpRequestException e)
            {
                throw new SnapshotVerificationException(SnapshotHttp.Describe(location, e));
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new SnapshotVerificationException($"cannot fetch {Lethe.Hosts.ArgvText.Word(location)}: no answer within {SnapshotHttp.Timeout.TotalSeconds:0} s");
            }
        }
        try
        {
            return await ReadCapped(location, ct);
        }
        catch (IOException e)
        {
            throw new SnapshotVerificationException(Lethe.Hosts.ArgvText.Shown($"cannot read '{location}': {e.Message}", [location]));
        }
        catch (UnauthorizedAccessException e)
        {
            throw new SnapshotVerificationException(Lethe.Hosts.ArgvText.Shown($"cannot read '{location}': {e.Message}", [location]));
        }
    }
}
