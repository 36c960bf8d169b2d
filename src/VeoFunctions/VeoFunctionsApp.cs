using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using VeoFunctions.Jobs;
using VeoFunctions.Telemetry;

namespace VeoFunctions;

/// <summary>How the Function App is put together; Program runs it, and tests build it to inspect it.</summary>
public static class VeoFunctionsApp
{
    public static FunctionsApplicationBuilder Configure(FunctionsApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureFunctionsWebApplication();
        builder.ConfigureDurableWorker().AddTasks(tasks => tasks.AddVideoJobTasks());
        builder.Services
            .AddAppTelemetry(builder.Configuration)
            .AddVeoFunctions();
        return builder;
    }
}
