using Lethe.Domain;

namespace Lethe.Application.Common;

/// <summary>
/// The 404 for a policy name that names none. A read takes the name from the path unchecked, so it can be
/// anything a URL holds; no policy is named so (names are checked when made), and such a name is quoted as
/// values are (escaped, cut to its start and length) rather than echoed whole.
/// </summary>
public static class UnknownPolicy
{
    public static DomainException Named(string name) =>
        new(Refusal.NotFound, $"There is no policy named {QuotedText.Name(name)}.");
}
