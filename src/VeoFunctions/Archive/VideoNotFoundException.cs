namespace VeoFunctions.Archive;

/// <summary>
/// fal's CDN answered 404/410 for the video. Not final by itself: a fresh edge can miss a file for a moment and fal
/// keeps results for weeks, so the archive asks fal's result API again and retries (<see cref="Jobs.Archiving"/>).
/// </summary>
public sealed class VideoNotFoundException : Exception
{
    public VideoNotFoundException() { }

    public VideoNotFoundException(string message) : base(message) { }

    public VideoNotFoundException(string message, Exception innerException) : base(message, innerException) { }
}
