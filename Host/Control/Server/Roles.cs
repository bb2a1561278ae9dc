namespace Lethe.Control.Server;

/// <summary>Roles nest: an admin may do what an editor may, an editor what a viewer may.</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Editor = "editor";
    public const string Admin = "admin";

    public static readonly string[] All = [Viewer, Editor, Admin];

    public static string[] Granting(string role) => role switch
    {
        Viewer => [Viewer, Editor, Admin],
        Editor => [Editor, Admin],
        _ => [Admin],
    };
}
