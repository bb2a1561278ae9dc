namespace Lethe.Control.Tests.CliFuzz;

/// <summary>
/// The files the fuzzed commands read and write, all in one folder of the test's: a rules file, files that are
/// no rules file, a sealed snapshot and its public key. Written paths (snapshot get --out) never leave it.
/// </summary>
internal sealed class CliFuzzFiles : IDisposable
{
    public const string Rules = "action=accept dst4=192.0.2.0/24 proto=tcp dstports=443\naction=drop\n";

    public CliFuzzFiles(string publicKey, string privateKey)
    {
        Directory.CreateDirectory(Folder);
        PublicKey = publicKey;
        PrivateKey = privateKey;
        File.WriteAllText(RulesFile, "# qvm-firewall work --raw list\n" + Rules);
        File.WriteAllText(Garbage, "not a rule\n\u001b[2J\n");
        File.WriteAllText(Empty, "");
        Directory.CreateDirectory(Path.Combine(Folder, "sub"));
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "lethe-clifuzz-" + Guid.NewGuid().ToString("N"));

    public string RulesFile => Path.Combine(Folder, "rules.txt");

    public string Garbage => Path.Combine(Folder, "garbage.txt");

    public string Empty => Path.Combine(Folder, "empty.txt");

    public string Snapshot => Path.Combine(Folder, "snapshot.json");

    public string PublicKey { get; }

    public string PrivateKey { get; }

    public string Missing => Path.Combine(Folder, "no-such-folder", "file");

    /// <summary>Files no command can read as what it wants: missing, a folder, devices, empty, garbage, a name too long for Linux.</summary>
    public string[] Unreadable => [Missing, Folder, "/dev/null", Empty, Garbage, Path.Combine(Folder, new string('n', 300)), Folder + "/sub/../../" + Path.GetFileName(Folder)];

    /// <summary>Where snapshot get may write: in the folder (odd names too), a folder, a missing folder, /dev/null, stdout.</summary>
    public string[] Writable => [Path.Combine(Folder, "out.json"), Path.Combine(Folder, "é 名前\u001b.json"), Path.Combine(Folder, "sub"), Missing, "/dev/null", "-", "",
        Path.Combine(Folder, new string('n', 300))];

    public void Dispose()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}
