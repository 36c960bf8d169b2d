using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FalEmulator;

/// <summary>
/// Input schema of <c>fal-ai/veo3.1/reference-to-video</c> (seed page + fal's newer typings: 4k, safety_tolerance),
/// in one place. Errors are pydantic-v2 style items: {"loc":["body",field,...],"msg","type","input"?,"ctx"?}.
/// </summary>
internal static class VeoInputSchema
{
    public const string EndpointId = "fal-ai/veo3.1/reference-to-video";

    private enum Kind
    {
        String,
        StringList,
        Bool,
        Int,
    }

    private sealed record Field(string Name, Kind Kind, bool Required, string[]? Allowed = null, int MinItems = 0);

    private static readonly Field[] Fields =
    [
        new("prompt", Kind.String, Required: true),
        new("image_urls", Kind.StringList, Required: true, MinItems: 1),
        new("aspect_ratio", Kind.String, false, ["16:9", "9:16"]),
        new("duration", Kind.String, false, ["8s"]),
        new("resolution", Kind.String, false, ["720p", "1080p", "4k"]),
        new("generate_audio", Kind.Bool, false),
        new("seed", Kind.Int, false),
        new("negative_prompt", Kind.String, false),
        new("auto_fix", Kind.Bool, false),
        new("safety_tolerance", Kind.String, false, ["1", "2", "3", "4", "5", "6"]),
    ];

    /// <summary>Validates the input; returns the detail list (empty when valid).</summary>
    public static JsonArray Validate(JsonObject input)
    {
        var errors = new JsonArray();
        foreach (var field in Fields)
        {
            if (!input.TryGetPropertyValue(field.Name, out var value) || value is null)
            {
                if (field.Required)
                {
                    errors.Add(Error(field.Name, "Field required", "missing", null));
                }

                continue;
            }

            ValidateValue(field, value, errors);
        }

        return errors;
    }

    public static JsonObject Error(JsonArray loc, string msg, string type, JsonNode? input, JsonObject? ctx = null)
    {
        var error = new JsonObject { ["loc"] = loc, ["msg"] = msg, ["type"] = type };
        if (input is not null)
        {
            error["input"] = input.DeepClone();
        }

        if (ctx is not null)
        {
            error["ctx"] = ctx;
        }

        return error;
    }

    private static JsonObject Error(string field, string msg, string type, JsonNode? input, JsonObject? ctx = null) =>
        Error(new JsonArray("body", field), msg, type, input, ctx);

    private static void ValidateValue(Field field, JsonNode value, JsonArray errors)
    {
        var kind = value.GetValueKind();
        switch (field.Kind)
        {
            case Kind.String:
                if (kind != JsonValueKind.String)
                {
                    errors.Add(Error(field.Name, "Input should be a valid string", "string_type", value));
                }
                else if (field.Allowed is { } allowed && !allowed.Contains(value.GetValue<string>(), StringComparer.Ordinal))
                {
                    var expected = string.Join(", ", allowed.Take(allowed.Length - 1).Select(a => $"'{a}'"))
                        + (allowed.Length > 1 ? " or " : string.Empty) + $"'{allowed[^1]}'";
                    errors.Add(Error(field.Name, $"Input should be {expected}", "literal_error", value, new JsonObject { ["expected"] = expected }));
                }

                break;
            case Kind.Bool:
                if (kind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    errors.Add(Error(field.Name, "Input should be a valid boolean", "bool_type", value));
                }

                break;
            case Kind.Int:
                if (kind != JsonValueKind.Number || !long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add(Error(field.Name, "Input should be a valid integer", "int_type", value));
                }

                break;
            case Kind.StringList:
                if (value is not JsonArray array)
                {
                    errors.Add(Error(field.Name, "Input should be a valid list", "list_type", value));
                    break;
                }

                if (array.Count < field.MinItems)
                {
                    errors.Add(Error(field.Name, $"List should have at least {field.MinItems} item after validation, not {array.Count}", "too_short", value,
                        new JsonObject { ["field_type"] = "List", ["min_length"] = field.MinItems, ["actual_length"] = array.Count }));
                }

                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is null || array[i]!.GetValueKind() != JsonValueKind.String)
                    {
                        errors.Add(Error(new JsonArray("body", field.Name, i), "Input should be a valid string", "string_type", array[i]));
                    }
                }

                break;
        }
    }
}
