namespace Lethe.TestSupport;

public static class RepositoryPaths
{
    /// <summary>The repository root: the folder above the test binaries that holds Lethe.sln.</summary>
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Lethe.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("Lethe.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Migrations => Path.Combine(Root, "migrations");
}
