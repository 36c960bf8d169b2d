namespace VeoFunctions.Jobs;

/// <summary>Errors by field, as RFC 7807's validation extension carries them.</summary>
public sealed class Errors : Dictionary<string, List<string>>
{
    public void Add(string field, string message)
    {
        if (!TryGetValue(field, out var list))
        {
            this[field] = list = [];
        }

        list.Add(message);
    }
}
