using System.Text.Json.Nodes;

namespace FalEmulator;

/// <summary>
/// Successful answers per Idempotency-Key, kept 10 minutes (fal: "responses cached for 10 minutes per unique key").
/// The first call with a key runs; repeats within the window get its answer. Failed answers are not kept.
/// </summary>
/// <param name="now">The emulator clock.</param>
internal sealed class IdempotencyCache(Func<DateTimeOffset> now)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (CachedAnswer Answer, DateTimeOffset At)> _answers = [];

    /// <summary>Runs <paramref name="operation"/> unless a live answer is cached for <paramref name="key"/>; a null key always runs it.</summary>
    public CachedAnswer GetOrRun(string? key, Func<CachedAnswer> operation)
    {
        if (string.IsNullOrEmpty(key))
        {
            return operation();
        }

        lock (_gate)
        {
            var at = now();
            if (_answers.TryGetValue(key, out var cached) && at - cached.At < Window)
            {
                return cached.Answer;
            }

            var answer = operation();
            if (answer.Status is >= 200 and < 300)
            {
                _answers[key] = (answer, at);
            }

            return answer;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _answers.Clear();
        }
    }
}

/// <summary>An HTTP answer that can be replayed.</summary>
internal sealed record CachedAnswer(int Status, JsonNode Body);
