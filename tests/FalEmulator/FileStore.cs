using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace FalEmulator;

/// <summary>A stored file: uploaded bytes, or a generated (padded) sample video.</summary>
internal sealed record StoredFile(string Id, string FileName, string ContentType, byte[]? Data, long? VideoPadding)
{
    public long Length => Data?.LongLength ?? SampleVideo.Bytes.Length + PaddedMp4Stream.NormalizePadding(VideoPadding ?? 0);

    public Stream OpenRead() => Data is not null ? new MemoryStream(Data, writable: false) : new PaddedMp4Stream(SampleVideo.Bytes, VideoPadding ?? 0);
}

internal sealed record PendingUpload(string Token, string FileId, string FileName, string ContentType)
{
    public ConcurrentDictionary<int, byte[]> Parts { get; } = new();
}

/// <summary>In-memory fal CDN: upload tokens and files.</summary>
internal sealed class FileStore
{
    private readonly ConcurrentDictionary<string, PendingUpload> _uploads = new();
    private readonly ConcurrentDictionary<string, StoredFile> _files = new();

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public PendingUpload Initiate(string contentType, string fileName)
    {
        var upload = new PendingUpload(NewId(), NewId(), fileName, contentType);
        _uploads[upload.Token] = upload;
        return upload;
    }

    public PendingUpload? FindUpload(string token) => _uploads.TryGetValue(token, out var upload) ? upload : null;

    public StoredFile Store(PendingUpload upload, byte[] data, string? contentType)
    {
        var file = new StoredFile(upload.FileId, upload.FileName, string.IsNullOrWhiteSpace(contentType) ? upload.ContentType : contentType, data, null);
        _files[file.Id] = file;
        return file;
    }

    public StoredFile AddVideo(long padding)
    {
        var file = new StoredFile(NewId(), "output.mp4", "video/mp4", null, padding);
        _files[file.Id] = file;
        return file;
    }

    public StoredFile? Find(string id) => _files.TryGetValue(id, out var file) ? file : null;

    public void Clear()
    {
        _uploads.Clear();
        _files.Clear();
    }
}

/// <summary>The embedded tiny H.264 MP4 (64x64, 1.5 s).</summary>
internal static class SampleVideo
{
    private static readonly Lazy<byte[]> Lazy = new(Load);

    public static byte[] Bytes => Lazy.Value;

    private static byte[] Load()
    {
        using var stream = typeof(SampleVideo).Assembly.GetManifestResourceStream("FalEmulator.Assets.sample.mp4")
            ?? throw new InvalidOperationException("Embedded sample.mp4 missing.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
