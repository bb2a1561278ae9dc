namespace Lethe.Firewall;

/// <summary>A verified policy whose compiled tables do not fit in this process's memory.</summary>
public sealed class PolicyTooLargeException(string message) : Exception(message);
