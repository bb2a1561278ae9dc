namespace Lethe.Application.Ports;

/// <summary>The policy changed since the caller read it; nothing was written.</summary>
public sealed class ConcurrencyConflictException(string message, Exception? inner = null) : Exception(message, inner);
