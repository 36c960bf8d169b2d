using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace FalEmulator;

/// <summary>A stored file: uploaded bytes, or a generated (padded) sample video. Kept after expiry/deletion, for the record.</summary>
internal sealed record StoredFile(string Id, string FileName, string ContentType, byte[]? Data, long? VideoPadding, DateTimeOffset StoredAt, ObjectLifecycle? Lifecycle)
{
    public bool Deleted { get; init; }

    public long Length => Data?.LongLength ?? SampleVideo.Bytes.Length + PaddedMp4Stream.NormalizePadding(VideoPadding ?? 0);

    public DateTimeOffset? ExpiresAt => Lifecycle?.ExpiresAt(StoredAt);

    public bool IsGone(DateTimeOffset now) => Deleted || now >= ExpiresAt;

    public Stream OpenRead() => Data is not null ? new MemoryStream(Data, writable: false) : new PaddedMp4Stream(SampleVideo.Bytes, VideoPadding ?? 0);

    public StoredFileInfo ToInfo(DateTimeOffset now) =>
        new(Id, FileName, ContentType, Length, StoredAt, Lifecycle?.Json, ExpiresAt, !Deleted && IsGone(now), Deleted);
}

internal sealed record PendingUpload(string Token, string FileId, string FileName, string ContentType, ObjectLifecycle? Lifecycle)
{
    public ConcurrentDictionary<int, byte[]> Parts { get; } = new();
}

/// <summary>In-memory fal CDN: upload tokens and files. A file expires by its lifecycle (emulator clock) or is deleted; then it is not found.</summary>
/// <param name="now">The emulator clock.</param>
internal sealed class FileStore(Func<DateTimeOffset> now)
{
    private readonly ConcurrentDictionary<string, PendingUpload> _uploads = new();
    private readonly ConcurrentDictionary<string, StoredFile> _files = new();

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public PendingUpload Initiate(string contentType, string fileName, ObjectLifecycle? lifecycle)
    {
        var upload = new PendingUpload(NewId(), NewId(), fileName, contentType, lifecycle);
        _uploads[upload.Token] = upload;
        return upload;
    }

    public PendingUpload? FindUpload(string token) => _uploads.TryGetValue(token, out var upload) ? upload : null;

    public StoredFile Store(PendingUpload upload, byte[] data, string? contentType)
    {
        var type = string.IsNullOrWhiteSpace(contentType) ? upload.ContentType : contentType;
        var file = new StoredFile(upload.FileId, upload.FileName, type, data, null, now(), upload.Lifecycle);
        _files[file.Id] = file;
        return file;
    }

    public StoredFile AddVideo(long padding, ObjectLifecycle? lifecycle)
    {
        var file = new StoredFile(NewId(), "output.mp4", "video/mp4", null, padding, now(), lifecycle);
        _files[file.Id] = file;
        return file;
    }

    /// <summary>The file if it is still served (not expired, not deleted).</summary>
    public StoredFile? Find(string id) => _files.TryGetValue(id, out var file) && !file.IsGone(now()) ? file : null;

    /// <summary>Deletes a file (it then answers 404); false when unknown or already gone.</summary>
    public bool Delete(string id)
    {
        while (_files.TryGetValue(id, out var file))
        {
            if (file.IsGone(now()))
            {
                return false;
            }

            if (_files.TryUpdate(id, file with { Deleted = true }, file))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every file ever stored (expired and deleted ones included), oldest first.</summary>
    public IReadOnlyList<StoredFileInfo> Infos()
    {
        var at = now();
        return _files.Values.OrderBy(f => f.StoredAt).Select(f => f.ToInfo(at)).ToList();
    }

    public StoredFileInfo? Info(string id) => _files.TryGetValue(id, out var file) ? file.ToInfo(now()) : null;

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
