using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using VeoFunctions;

VeoFunctionsApp.Configure(FunctionsApplication.CreateBuilder(args)).Build().Run();
