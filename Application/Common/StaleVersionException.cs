namespace Lethe.Application.Common;

/// <summary>
/// The request named a version (If-Match) the policy had already moved past when the request read
/// it: no race was lost, the caller decided on an old read, so it is told the version the policy is
/// at rather than that something changed under it. Nothing was written.
/// </summary>
public sealed class StaleVersionException(string policy, long named, long current) : Exception(
    $"Policy {policy} is at version {current}, not {named} as this request's If-Match said: it was changed after version {named} was read. " +
    $"Nothing was applied; read it again and, if the change still holds, send it with version {current}.")
{
    public long Named => named;

    public long Current => current;
}
