namespace Lethe.Application.Ports;

/// <summary>The policy changed since the caller read it; nothing was written.</summary>
/// <param name="currentVersion">
/// The version the policy is at now, where the refusal read it (a lost race, told what landed first);
/// null where it did not. The API hands it to clients as data, so they need not parse the message.
/// </param>
public sealed class ConcurrencyConflictException(string message, Exception? inner = null, long? currentVersion = null) : Exception(message, inner)
{
    public long? CurrentVersion => currentVersion;
}
