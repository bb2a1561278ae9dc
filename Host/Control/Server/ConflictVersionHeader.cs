using Lethe.Control.Api;

namespace Lethe.Control.Server;

/// <summary>
/// A 409 about the policy's version carries the version it is at as ETag, as every other answer
/// about the policy carries its version. The exception handler, which writes every refusal, drops
/// ETag when the answer starts (it takes an error for no representation to validate), so the
/// version is kept for the request and set back by a callback registered before the handler's own,
/// which therefore runs after it.
/// </summary>
public static class ConflictVersionHeader
{
    private const string Key = "Lethe.ConflictVersion";

    public static void Keep(HttpContext context, long version) => context.Items[Key] = version;

    /// <summary>At the answer's start: the ETag of a 409 that kept a version; nothing for any other answer.</summary>
    public static void Restore(HttpContext context)
    {
        if (context.Items.TryGetValue(Key, out var kept) && kept is long version)
        {
            IfMatch.Write(context.Response, version);
        }
    }
}
