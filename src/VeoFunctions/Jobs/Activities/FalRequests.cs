using Fal.Queue;

namespace VeoFunctions.Jobs.Activities;

internal static class FalRequests
{
    public static FalRequest ToFalRequest(this FalJob job) =>
        new(Fal.Veo31.ReferenceToVideoInput.EndpointId, job.RequestId, job.StatusUrl, job.ResponseUrl, job.CancelUrl);
}
