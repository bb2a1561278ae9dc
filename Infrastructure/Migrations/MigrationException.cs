namespace Lethe.Infrastructure.Migrations;

/// <summary>The migrations cannot be applied as they are; the file it names was not applied.</summary>
public sealed class MigrationException(string message) : Exception(message);
