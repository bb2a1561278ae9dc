namespace Lethe.Firewall;

/// <summary>
/// Where replay writes: the verdicts (a file or stdout) and the forwarded capture (a file, stdout or
/// none). Both are opened, and checked against the capture, each other and stdout by file identity,
/// before either is emptied; a refusal removes the files this run made, so it leaves nothing behind.
/// </summary>
internal sealed class ReplayOutputs : IAsyncDisposable
{
    private ReplayOutputs(Stream verdicts, Stream? forwarded)
    {
        Verdicts = verdicts;
        Forwarded = forwarded;
    }

    public Stream Verdicts { get; }

    public Stream? Forwarded { get; }

    /// <param name="verdicts">A path, or null or - for stdout.</param>
    /// <param name="forwarded">A path, - for stdout, or null for none.</param>
    /// <param name="capture">The capture being read, which neither may be under any name.</param>
    /// <exception cref="FlagException">An output that cannot be made, is the capture, or shares a file or stdout with the other.</exception>
    public static ReplayOutputs Open(string? verdicts, string? forwarded, FileStream capture)
    {
        var made = new List<string>();
        Stream? verdictStream = null;
        Stream? forwardedStream = null;
        try
        {
            verdictStream = verdicts is null or "-" ? Console.OpenStandardOutput() : OpenForWriting("--verdicts", verdicts, made);
            forwardedStream = forwarded switch
            {
                null => null,
                "-" => Console.OpenStandardOutput(),
                _ => OpenForWriting("--out", forwarded, made),
            };
            Check(verdictStream, forwardedStream, capture);
        }
        catch (FlagException)
        {
            verdictStream?.Dispose();
            forwardedStream?.Dispose();
            foreach (var path in made)
            {
                File.Delete(path);
            }
            throw;
        }
        foreach (var stream in new[] { verdictStream, forwardedStream })
        {
            // Only a file with something in it: /dev/null, a pipe or a terminal has nothing to empty, and refuses to be.
            if (stream is FileStream { CanSeek: true } file && file.Length > 0)
            {
                file.SetLength(0);
            }
        }
        return new ReplayOutputs(verdictStream, forwardedStream);
    }

    public async ValueTask DisposeAsync()
    {
        await Verdicts.DisposeAsync();
        if (Forwarded is not null)
        {
            await Forwarded.DisposeAsync();
        }
    }

    /// <remarks>By identity, not by name: a symbolic or hard link, /dev/stdout or /dev/fd/1 is the file it leads to.</remarks>
    private static void Check(Stream verdicts, Stream? forwarded, FileStream capture)
    {
        var captureFile = FileIdentity.Of(capture.SafeFileHandle);
        foreach (var (flag, stream) in new[] { ("--verdicts", verdicts), ("--out", forwarded) })
        {
            if (stream is FileStream file && captureFile is not null && FileIdentity.Of(file.SafeFileHandle) == captureFile)
            {
                throw new FlagException($"{flag}: {file.Name} is the capture being read (--pcap); writing it would destroy it");
            }
        }
        if (forwarded is null)
        {
            return;
        }
        var (verdictFile, forwardedFile) = (Identity(verdicts), Identity(forwarded));
        if (verdictFile is null || verdictFile != forwardedFile)
        {
            return;
        }
        if (verdictFile == FileIdentity.Of(1))
        {
            var name = forwarded is FileStream named ? named.Name : "-";
            throw new FlagException($"--out {name}: the forwarded capture and the verdicts would both go to stdout; give --verdicts FILE");
        }
        throw new FlagException($"--out and --verdicts both name {((FileStream)forwarded).Name}: one file cannot hold a capture and JSON lines");
    }

    /// <summary>The file a stream writes to (stdout's for the console), or null for /dev/null, where any number may write.</summary>
    private static (ulong Device, ulong Inode)? Identity(Stream stream) => stream switch
    {
        FileStream file when IsDevNull(file.Name) => null,
        FileStream file => FileIdentity.Of(file.SafeFileHandle),
        _ => FileIdentity.Of(1),
    };

    /// <summary>Opened, or made (and noted in <paramref name="made"/>), without emptying it yet.</summary>
    /// <exception cref="FlagException">The file cannot be made (no such folder, no permission), named with its flag.</exception>
    private static FileStream OpenForWriting(string flag, string path, List<string> made)
    {
        // Named here: opening a folder fails with "Access to the path is denied", which reads as a permission problem.
        if (Directory.Exists(path))
        {
            throw new FlagException($"{flag}: {path} is a folder; give the path of the file to write");
        }
        try
        {
            // A link to nothing yet: its target is made, and is what a refusal removes.
            var target = IsLink(path) && File.ResolveLinkTarget(path, returnFinalTarget: true) is { Exists: false } final ? final.FullName : path;
            try
            {
                var created = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
                made.Add(Path.GetFullPath(target));
                return created;
            }
            catch (IOException) when (File.Exists(path) || Directory.Exists(path) || IsLink(path))
            {
                // There already (a link may lead to nothing yet, and is followed as before).
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FlagException($"{flag}: cannot write {path}: {e.Message}");
        }
    }

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    private static bool IsDevNull(string path) =>
        (File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path)) == "/dev/null";
}
