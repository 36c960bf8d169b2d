using System.ComponentModel;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Spectre.Console;
using Spectre.Console.Cli;
using Veo.Cli.Api;
using Veo.Cli.Images;
using Veo.Cli.Rendering;
using Veo.Cli.Watching;

namespace Veo.Cli.Commands;

/// <summary>
/// <c>veo create</c>: submit a job. Local images are checked here first and sent as <c>data:</c> URIs. Every request
/// carries an Idempotency-Key (its own random one unless given), so sending it again, by the retries here or by the
/// user with <c>--idempotency-key</c>, finds the first job instead of paying for a second.
/// </summary>
[Description("Submit a video job from reference images and a prompt.")]
public sealed partial class CreateCommand(CliContext cli) : ApiCommand<CreateCommand.Settings>(cli)
{
    public sealed class Settings : FollowSettings
    {
        [CommandOption("-p|--prompt <TEXT>")]
        [Description("What the video shows (required, at most 5000 characters).")]
        public string? Prompt { get; set; }

        [CommandOption("-i|--image <IMAGE>")]
        [Description("A reference image: a local PNG/JPEG/WebP file (at most 8 MB) or an https URL. 1 to 3; repeat the option.")]
        public string[] Images { get; set; } = [];

        [CommandOption("--resolution <RESOLUTION>")]
        [Description("720p (default), 1080p or 4k.")]
        public string? Resolution { get; set; }

        [CommandOption("--aspect <RATIO>")]
        [Description("16:9 (default) or 9:16.")]
        public string? Aspect { get; set; }

        [CommandOption("--duration <DURATION>")]
        [Description("8s (the only length the model makes).")]
        public string? Duration { get; set; }

        [CommandOption("--audio <BOOL>")]
        [Description("Generate audio: true (default) or false.")]
        public string? Audio { get; set; }

        [CommandOption("--seed <N>")]
        [Description("0 to 4294967295, for repeatable results.")]
        public string? Seed { get; set; }

        [CommandOption("--negative <TEXT>")]
        [Description("What the video should not show.")]
        public string? Negative { get; set; }

        [CommandOption("--auto-fix <BOOL>")]
        [Description("Let fal rewrite a prompt its filter refuses: true or false.")]
        public string? AutoFix { get; set; }

        [CommandOption("--safety <LEVEL>")]
        [Description("Safety tolerance, 1 (strictest) to 6.")]
        public string? Safety { get; set; }

        [CommandOption("--idempotency-key <KEY>")]
        [Description("Send this key instead of a random one. Repeating a command with the key it printed never bills twice.")]
        public string? IdempotencyKey { get; set; }

        [CommandOption("-w|--watch")]
        [Description("Follow the job live until it ends (implied by --out).")]
        public bool Watch { get; set; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Prompt))
            {
                return ValidationResult.Error("--prompt is required.");
            }

            if (Images.Length == 0)
            {
                return ValidationResult.Error("--image is required: a local file or an https URL, repeated for up to 3 images.");
            }

            if (IdempotencyKey is { } key && (key.Length is 0 or > 255 || key.Any(char.IsControl)))
            {
                return ValidationResult.Error("--idempotency-key must be 1 to 255 printable characters.");
            }

            var values = OptionValues.Check(
                () => OptionValues.Bool("--audio", Audio),
                () => OptionValues.Bool("--auto-fix", AutoFix),
                () => OptionValues.UInt("--seed", Seed));
            return values.Successful ? base.Validate() : values;
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var api = Api(settings);
        var human = Human(settings);
        var imageUrls = new List<string>(settings.Images.Length);
        foreach (string image in settings.Images)
        {
            imageUrls.Add(await ReferenceImages.ToImageUrlAsync(image, Cli.WorkingDirectory, cancellationToken).ConfigureAwait(false));
        }

        var request = new VideoRequest
        {
            Prompt = settings.Prompt!,
            ImageUrls = imageUrls,
            AspectRatio = settings.Aspect,
            Duration = settings.Duration,
            Resolution = settings.Resolution,
            GenerateAudio = OptionValues.Bool("--audio", settings.Audio),
            Seed = OptionValues.UInt("--seed", settings.Seed),
            NegativePrompt = settings.Negative,
            AutoFix = OptionValues.Bool("--auto-fix", settings.AutoFix),
            SafetyTolerance = settings.Safety,
        };
        string key = settings.IdempotencyKey ?? NewIdempotencyKey();
        human.MarkupLine($"[grey]Idempotency-Key: {Markup.Escape(key)}[/]");

        ApiAnswer<JobAccepted> accepted;
        try
        {
            accepted = await api.CreateAsync(request, key, retry => human.MarkupLine(
                $"[yellow]Sending again[/] in {Readable.Duration(retry.Delay)} (attempt {retry.Attempt}, same key): {Markup.Escape(retry.Reason)}"),
                cancellationToken).ConfigureAwait(false);
        }
        catch (VeoApiException ex) when (ex.Problem?.Errors is { Count: > 0 })
        {
            throw new VeoApiException(ex.Failure, $"The app rejected the request ({(int?)ex.Status}): {ProblemText.Fields(ex.Problem, field => OptionFor(field, settings.Images))}.", ex.Status, ex.Problem, ex);
        }
        catch (VeoApiException ex) when (ex.Failure == ApiFailure.Unavailable)
        {
            throw new VeoApiException(ex.Failure, $"{ex.Message} Sending it again with --idempotency-key {key} cannot start a second job.", ex.Status, ex.Problem, ex);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            human.MarkupLine($"Interrupted: the job may or may not have started. Run the same command with [bold]--idempotency-key {Markup.Escape(key)}[/] to find out without paying twice.");
            return ExitCodes.Interrupted;
        }

        var job = accepted.Value;
        if (settings.Json)
        {
            Messages.Json(Cli.Out, accepted.Json);
        }
        else
        {
            Cli.Out.MarkupLine(job.Replayed
                ? $"Job [bold]{Markup.Escape(job.JobId)}[/] already existed for this key: nothing new was started or billed."
                : $"Job [bold]{Markup.Escape(job.JobId)}[/] created.");
        }

        if (!settings.Watch && settings.Out is null)
        {
            if (!settings.Json)
            {
                Cli.Out.MarkupLine($"Watch it: [bold]veo watch {Markup.Escape(job.JobId)}[/]");
            }

            return ExitCodes.Ok;
        }

        return await new JobFollower(Cli, api, settings.Json).FollowAsync(job.JobId, settings.Out, settings.PollInterval(Cli.PollInterval), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A key no one else will send: 128 random bits.</summary>
    public static string NewIdempotencyKey() => "veo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The app's field names (fal's input names) as the options that set them.</summary>
    internal static string OptionFor(string field, IReadOnlyList<string> images)
    {
        if (ImageField().Match(field) is { Success: true } match && int.TryParse(match.Groups[1].ValueSpan, out int index))
        {
            return index < images.Count ? $"--image {Shorten(images[index])}" : $"--image #{index + 1}";
        }

        return field switch
        {
            "prompt" => "--prompt",
            "image_urls" => "--image",
            "aspect_ratio" => "--aspect",
            "resolution" => "--resolution",
            "duration" => "--duration",
            "generate_audio" => "--audio",
            "seed" => "--seed",
            "negative_prompt" => "--negative",
            "auto_fix" => "--auto-fix",
            "safety_tolerance" => "--safety",
            _ => field,
        };
    }

    private static string Shorten(string image) => image.Length <= 60 ? image : image[..57] + "...";

    [GeneratedRegex(@"^image_urls\[(\d+)\]$")]
    private static partial Regex ImageField();
}
