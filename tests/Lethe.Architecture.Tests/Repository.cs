namespace Lethe.Architecture.Tests;

public static class Repository
{
    /// <summary>The folder above the test binaries that holds Lethe.sln.</summary>
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Lethe.sln")))
            {
                dir = dir.Parent;
            }
            return dir!.FullName;
        }
    }
}
