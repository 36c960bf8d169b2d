using System.Globalization;
using VeoFunctions.Bench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
return await BenchRunner.RunAsync(args);
