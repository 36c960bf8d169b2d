using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FalEmulator;

/// <summary>
/// What a Veo 3.1 clip costs by fal's price page: seconds × a rate set by resolution and audio
/// (720p/1080p $0.20/s silent, $0.40/s with audio; 4k $0.40/s and $0.60/s). generate_audio defaults to true.
/// </summary>
internal sealed record VeoPrice(int Seconds, decimal UnitPrice)
{
    public decimal Total => Seconds * UnitPrice;

    public static VeoPrice Of(JsonObject input)
    {
        var duration = input["duration"] is JsonValue d && d.GetValueKind() == JsonValueKind.String ? d.GetValue<string>() : "8s";
        var seconds = int.TryParse(duration.TrimEnd('s'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 8;
        var audio = input["generate_audio"] is not JsonValue a || a.GetValueKind() != JsonValueKind.False;
        var fourK = input["resolution"] is JsonValue r && r.GetValueKind() == JsonValueKind.String && r.GetValue<string>() == "4k";
        var rate = (fourK, audio) switch
        {
            (false, false) => 0.20m,
            (false, true) => 0.40m,
            (true, false) => 0.40m,
            (true, true) => 0.60m,
        };
        return new VeoPrice(seconds, rate);
    }
}
