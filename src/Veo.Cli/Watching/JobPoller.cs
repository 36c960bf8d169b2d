using System.Runtime.CompilerServices;
using Veo.Cli.Api;

namespace Veo.Cli.Watching;

/// <summary>
/// Asks for a job's status every <paramref name="interval"/> until it ends. Once the job has been seen, an app that
/// stops answering for a while (a restart, a network blip) is reported and waited out, up to
/// <paramref name="maxFailures"/> polls in a row; a missing job, a wrong key, or no answer at all at first, end at once.
/// </summary>
public sealed class JobPoller(VeoApiClient api, TimeProvider time, TimeSpan interval, int maxFailures)
{
    public async IAsyncEnumerable<PollResult> PollAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool seen = false;
        int failures = 0;
        while (true)
        {
            PollResult result;
            try
            {
                result = new PollResult(await api.GetAsync(jobId, cancellationToken).ConfigureAwait(false), null);
                seen = true;
                failures = 0;
            }
            catch (VeoApiException ex) when (ex.Failure == ApiFailure.Unavailable && seen && ++failures < maxFailures)
            {
                result = new PollResult(null, ex.Message);
            }

            yield return result;
            if (result.Answer?.Value.HasEnded == true)
            {
                yield break;
            }

            await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
