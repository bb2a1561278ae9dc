using System.Security.Cryptography;
using System.Text.Json;
using Lethe.Domain.Rules;

namespace Lethe.Domain.Snapshots;

/// <summary>Checks a snapshot file against a trusted public key; anything that does not verify is refused.</summary>
public static class SnapshotVerifier
{
    public static VerifiedSnapshot Verify(ReadOnlySpan<byte> file, string trustedPublicKeyPem)
    {
        if (trustedPublicKeyPem.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            // It would verify, but a firewall holding it could sign snapshots too: it must stay with the control plane.
            throw new SnapshotVerificationException("the trusted key file holds a private key; give the public key (lethe-signing.pub) instead");
        }
        var keys = CountKeys(trustedPublicKeyPem);
        if (keys > 1)
        {
            // Old and new key in one file, mid-rotation: the file does begin as a public key, so say what is wrong with it.
            throw new SnapshotVerificationException($"the trusted key file holds {keys} public keys; a firewall trusts one, the control plane's current lethe-signing.pub");
        }
        using var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(trustedPublicKeyPem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new SnapshotVerificationException("the trusted key is not a PEM ECDSA public key (a file beginning -----BEGIN PUBLIC KEY-----, such as lethe-signing.pub)");
        }
        catch (PlatformNotSupportedException)
        {
            // A well-formed key naming a curve (by OID) this platform does not know: a damaged key file, say.
            throw new SnapshotVerificationException("the trusted key names a curve this platform does not know; Lethe signs with ECDSA P-256");
        }
        if (key.KeySize != 256 || !SigningCurve.IsP256(key))
        {
            throw new SnapshotVerificationException($"the trusted key is a {key.KeySize}-bit key on another curve; Lethe signs with ECDSA P-256");
        }

        SealedSnapshot envelope;
        try
        {
            envelope = SnapshotCodec.FromFile(file);
        }
        catch (JsonException e)
        {
            // The reader's message quotes the file: a bad literal as found, a property's name in its path.
            throw new SnapshotVerificationException($"not a Lethe snapshot file: {JsonReason(e)}");
        }
        if (envelope.Format == SealedSnapshot.UnsignedEnvelopeFormat)
        {
            throw new SnapshotVerificationException(
                $"snapshot format '{envelope.Format}' is no longer accepted: its version and time were not signed, so an old snapshot " +
                $"could pass for a newer one; the control plane's next publish (of the unchanged draft too) seals a {SealedSnapshot.CurrentFormat} snapshot");
        }
        if (string.IsNullOrEmpty(envelope.Format))
        {
            // JSON, but not a snapshot: a policy's URL instead of its snapshot's, say, or another file. The
            // verifier does not know which was given, so the hint names both.
            throw new SnapshotVerificationException("not a Lethe snapshot (no format field): give a file `lethe snapshot get` wrote, " +
                "or a control-plane URL that names a snapshot, such as .../policies/NAME/snapshots/latest");
        }
        if (envelope.Format != SealedSnapshot.CurrentFormat)
        {
            throw new SnapshotVerificationException($"unknown snapshot format {QuotedText.QuoteSafe(envelope.Format)} (this build reads {SealedSnapshot.CurrentFormat})");
        }

        byte[] content, signature;
        try
        {
            content = Convert.FromBase64String(envelope.Content ?? "");
            signature = Convert.FromBase64String(envelope.Signature ?? "");
        }
        catch (FormatException)
        {
            throw new SnapshotVerificationException("the snapshot's content or signature is not base64");
        }

        var sha = SnapshotCodec.Sha256Hex(content);
        if (sha != envelope.ContentSha256)
        {
            throw new SnapshotVerificationException($"content hash mismatch: the file says {QuotedText.Safe(envelope.ContentSha256 ?? "")}, the content hashes to {sha}");
        }
        var trustedId = KeyIds.Of(key);
        if (envelope.KeyId != trustedId)
        {
            throw new SnapshotVerificationException($"signed with key {QuotedText.Safe(envelope.KeyId ?? "")}, but the trusted key is {trustedId}");
        }
        if (!key.VerifyData(SignedEnvelope.Bytes(envelope), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            throw new SnapshotVerificationException($"the signature does not verify with key {trustedId}: the snapshot was altered or forged");
        }

        SnapshotContent parsed;
        try
        {
            parsed = SnapshotCodec.ContentFromBytes(content);
        }
        catch (JsonException e)
        {
            throw new SnapshotVerificationException($"the signed content is not a policy: {JsonReason(e)}");
        }
        if (parsed.Format != SnapshotContent.CurrentFormat)
        {
            throw new SnapshotVerificationException($"unknown policy format {QuotedText.QuoteSafe(parsed.Format ?? "")} (this build reads {SnapshotContent.CurrentFormat})");
        }
        if (parsed.Policy != envelope.Policy)
        {
            throw new SnapshotVerificationException($"the envelope names policy {QuotedText.QuoteSafe(envelope.Policy ?? "")} but the signed content is policy {QuotedText.QuoteSafe(parsed.Policy ?? "")}");
        }
        if (MissingPart(parsed) is { } missing)
        {
            // Signed, so not tampered with, but not what any control plane seals (a newer one that leaves out empty lists, say).
            throw new SnapshotVerificationException($"the signed policy is incomplete: {missing}");
        }
        if (parsed.Clients.Count > SnapshotLimits.MaxClients)
        {
            // Verify says what boot will say: a policy the firewall cannot hold is not "verified".
            throw new SnapshotVerificationException($"the policy has {parsed.Clients.Count} clients; a firewall tells at most {SnapshotLimits.MaxClients} apart");
        }
        foreach (var client in parsed.Clients)
        {
            if (client.Rules.Count > SnapshotLimits.MaxRulesPerClient)
            {
                // Checked before the names are: quoted safely, as whatever signed content holds is in these refusals.
                throw new SnapshotVerificationException(
                    $"client {QuotedText.Safe(client.Name ?? "")} has {client.Rules.Count} rules; a firewall takes at most {SnapshotLimits.MaxRulesPerClient} per client");
            }
        }
        if (Unreadable(parsed) is { } problem)
        {
            // Signed by a newer control plane, say: better refused here, by verify too, than found when it is compiled.
            throw new SnapshotVerificationException($"the signed policy holds what this build cannot read: {problem}");
        }
        if (SnapshotDuplicates.First(parsed) is { } twice)
        {
            // Signed with the trusted key, yet not what a publish seals: refused rather than guessed at.
            throw new SnapshotVerificationException($"the signed policy is not one a control plane seals: {twice}");
        }
        if (SnapshotAddresses.First(parsed) is { } address)
        {
            throw new SnapshotVerificationException($"the signed policy is not one a control plane seals: {address}");
        }
        // The signature covers the time as whole milliseconds since the epoch: the ticks under them, and the
        // offset the file writes it in, are the unverified file's. What verifies is the signed instant, in UTC.
        var signedTime = DateTimeOffset.FromUnixTimeMilliseconds(envelope.SealedAt.ToUnixTimeMilliseconds());
        return new VerifiedSnapshot(envelope with { SealedAt = signedTime }, parsed, content);
    }

    /// <summary>The first list or entry the content leaves out or gives as null, named; null when there is none.</summary>
    /// <remarks>
    /// Names here are not yet held to <see cref="QuotedText.IsPlainName"/>: quoted as <see cref="QuotedText.Safe"/> writes them (escaped, a long one cut short),
    /// so that signed content from a build that allows more cannot break the line its refusal is on.
    /// </remarks>
    private static string? MissingPart(SnapshotContent content)
    {
        if (content.Clients is null)
        {
            return "it has no clients list";
        }
        for (var i = 0; i < content.Clients.Count; i++)
        {
            var client = content.Clients[i];
            if (client is null)
            {
                return $"client {i + 1} of {content.Clients.Count} is null";
            }
            var name = client.Name is null ? $"{i + 1}" : QuotedText.Safe(client.Name);
            if (client.Addresses is null)
            {
                return $"client {name} has no addresses list";
            }
            if (client.Rules is null)
            {
                return $"client {name} has no rules list";
            }
            if (client.Addresses.Contains(null!))
            {
                return $"client {name} has a null address";
            }
            foreach (var rule in client.Rules)
            {
                if (rule is null)
                {
                    return $"client {name} has a null rule";
                }
                if (rule.Rule is null)
                {
                    return $"client {name}, rule {(rule.Id is null ? "(no id)" : QuotedText.Safe(rule.Id))}: no rule text";
                }
            }
        }
        return null;
    }

    /// <summary>The first name, client address or rule this build cannot read, named; null when there is none.</summary>
    /// <remarks>
    /// Names and ids end up in logs, metric labels and the nft script: held to what the control plane
    /// accepts, none can carry a quote or a line break into them.
    /// </remarks>
    private static string? Unreadable(SnapshotContent content)
    {
        if (!QuotedText.IsPlainName(content.Policy))
        {
            return "the policy name is not 1 to 63 characters of a-z, 0-9, '-' and '_'";
        }
        foreach (var client in content.Clients)
        {
            if (!QuotedText.IsPlainName(client.Name))
            {
                return "a client name is not 1 to 63 characters of a-z, 0-9, '-' and '_'";
            }
            foreach (var rule in client.Rules)
            {
                if (!QuotedText.IsPlainName(rule.Id))
                {
                    return $"client {client.Name}: a rule id is not 1 to 63 characters of a-z, 0-9, '-' and '_'";
                }
            }
            foreach (var address in client.Addresses)
            {
                if (RuleParser.ParseAddress(address) is null)
                {
                    return $"client {client.Name}: {QuotedText.QuoteSafe(address)} is not an address";
                }
            }
            foreach (var rule in client.Rules)
            {
                if (!RuleParser.TryParse(rule.Rule, 0, out _, out var error))
                {
                    return $"client {client.Name}, rule {rule.Id}: {TerminalText.Safe(error.Message)}";
                }
            }
        }
        return null;
    }

    /// <summary>
    /// The reader's message, escaped, with the path it stopped at cut short as <see cref="QuotedText.Safe"/> cuts a value:
    /// the path holds the property's name as the file spells it, and a file can make that a megabyte long.
    /// </summary>
    private static string JsonReason(JsonException e)
    {
        var at = e.Path is { Length: > QuotedText.MaxShown } path ? e.Message.IndexOf(path, StringComparison.Ordinal) : -1;
        return at < 0
            ? TerminalText.Safe(e.Message)
            : TerminalText.Safe(e.Message[..at]) + QuotedText.Safe(e.Path!) + TerminalText.Safe(e.Message[(at + e.Path!.Length)..]);
    }

    private static int CountKeys(string pem)
    {
        var count = 0;
        for (var at = pem.IndexOf("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal); at >= 0;
             at = pem.IndexOf("-----BEGIN PUBLIC KEY-----", at + 1, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
