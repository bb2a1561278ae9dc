using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace Lethe.Control.Server;

/// <summary>
/// The detail of a 401 or 403. Left as they are, both say only "Unauthorized" or "Forbidden", and a
/// caller with curl cannot tell a missing header from a mistyped token or another scheme, nor learn
/// which role a change needs. The token itself is never quoted: the answer may pass through logs.
/// </summary>
public static class AuthProblem
{
    private const string Send = "send Authorization: Bearer TOKEN";

    public static void Describe(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Detail is not null)
        {
            return;
        }
        context.ProblemDetails.Detail = context.ProblemDetails.Status switch
        {
            StatusCodes.Status401Unauthorized => Unauthenticated(context.HttpContext.Request.Headers.Authorization.ToString()),
            StatusCodes.Status403Forbidden => Forbidden(context.HttpContext),
            _ => null,
        };
    }

    /// <summary>Why the Authorization header named no token this control plane knows (BearerTokenHandler's cases).</summary>
    public static string Unauthenticated(string authorization)
    {
        var value = authorization.Trim();
        if (value.Length == 0)
        {
            return $"The request has no Authorization header: {Send}, a token of Lethe:Tokens.";
        }
        var space = value.IndexOf(' ');
        var scheme = space < 0 ? value : value[..space];
        if (!scheme.Equals(BearerTokenHandler.SchemeName, StringComparison.OrdinalIgnoreCase))
        {
            // A token sent without its scheme is a single word; a first word that is no scheme HTTP registers may be
            // the secret too (a token written before its scheme, or with a note after it), so only a known one is named.
            return space < 0
                ? $"Authorization has no Bearer scheme before the token: {Send} (the word Bearer, a space, then the token)."
                : KnownSchemes.FirstOrDefault(k => k.Equals(scheme, StringComparison.OrdinalIgnoreCase)) is { } known
                    ? $"Authorization uses the {known} scheme; this control plane takes only Bearer tokens: {Send}."
                    : $"Authorization uses a scheme other than Bearer (its first word is not quoted: it may be a secret); " +
                      $"this control plane takes only Bearer tokens: {Send}.";
        }
        return space < 0 || value[(space + 1)..].Trim().Length == 0
            ? $"Authorization: Bearer carries no token: {Send}, a token of Lethe:Tokens."
            : "The bearer token in Authorization is not one this control plane knows (Lethe:Tokens); nothing was read or changed.";
    }

    /// <summary>The role the token has and the roles the endpoint takes (its RequireAuthorization policy, named after a role).</summary>
    private static string? Forbidden(HttpContext context)
    {
        var needed = context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>()
            .Select(a => a.Policy).LastOrDefault(p => p is not null && Roles.All.Contains(p));
        var role = context.User.FindFirst(ClaimTypes.Role)?.Value;
        if (needed is null || role is null)
        {
            return null;
        }
        return $"The token of {context.User.Identity?.Name} has the role {role}; this request needs {string.Join(" or ", Roles.Granting(needed))}. Nothing was changed.";
    }

    /// <summary>
    /// The schemes of IANA's HTTP Authentication Scheme Registry, and Token, which some APIs take: a word that reads
    /// like a scheme (short, letters and digits) may still be a token a person chose, such as "editor-token".
    /// </summary>
    private static readonly string[] KnownSchemes =
    [
        "Basic", "Concealed", "Digest", "DPoP", "GNAP", "HOBA", "Mutual", "Negotiate", "NTLM", "OAuth", "PrivateToken",
        "SCRAM-SHA-1", "SCRAM-SHA-256", "vapid", "Token",
    ];
}
