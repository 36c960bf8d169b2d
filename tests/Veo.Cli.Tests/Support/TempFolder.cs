namespace Veo.Cli.Tests.Support;

/// <summary>A folder of a test's own for images and downloads, removed afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public static readonly byte[] PngHead = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public string Path { get; } = Directory.CreateTempSubdirectory("veo-cli-tests-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes <paramref name="head"/> followed by <paramref name="size"/> bytes of filler; returns the path.</summary>
    public string Write(string name, byte[] head, int size = 64)
    {
        var bytes = new byte[head.Length + size];
        head.CopyTo(bytes, 0);
        Random.Shared.NextBytes(bytes.AsSpan(head.Length));
        System.IO.File.WriteAllBytes(File(name), bytes);
        return File(name);
    }

    public string Png(string name = "ref.png") => Write(name, PngHead);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
