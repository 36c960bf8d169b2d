using System.Text;
using System.Text.RegularExpressions;
using Spectre.Console.Testing;
using Veo.Cli.Api;
using VeoFunctions.Testing;

namespace Veo.Cli.Tests;

/// <summary>
/// The commands of README.md (and of CONTRIBUTING.md, CHANGELOG.md and docs/*.md) stay runnable as pasted: every path a fenced bash
/// block names exists in the repository, and every <c>veo</c> line (also as <c>dotnet run --project src/Veo.Cli -- …</c>)
/// is accepted by veo's own command parser.
/// And every relative link in those files leads to a file of the repository (and to a heading there, when
/// it names one).
/// </summary>
public sealed partial class DocsTests
{
    private static readonly string Root = FindRoot();

    [Fact]
    public void EveryPathTheDocsCommandsName_Exists()
    {
        var missing = DocFiles().SelectMany(file => BashBlocks(Read(file)))
            .SelectMany(block => RepositoryPath().Matches(block).Select(m => m.Groups[1].Value.TrimEnd('.')))
            .Distinct()
            .Where(path => !File.Exists(Path.Combine(Root, path)) && !Directory.Exists(Path.Combine(Root, path)))
            .ToList();
        Assert.True(missing.Count == 0, "The docs' commands name paths the repository does not have: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task EveryVeoCommandInTheDocs_IsAcceptedByVeosParser()
    {
        var readme = BashBlocks(Read("README.md")).SelectMany(VeoCommands).ToList();
        Assert.Contains(readme, args => args.Length > 0 && args[0] == "create"); // the quickstart's second command
        var lines = DocFiles().SelectMany(file => BashBlocks(Read(file))).SelectMany(VeoCommands).ToList();

        var refused = new List<string>();
        foreach (string[] args in lines)
        {
            var (code, error) = await ParseAsync(args);
            // Whatever veo does once it has parsed a command, here it meets an app that cannot be reached (7); 1 is a
            // command line veo refused (unknown command or option, a bad value, a missing local image), 70 a bug.
            if (code is ExitCodes.Usage or ExitCodes.Internal)
            {
                refused.Add($"veo {string.Join(' ', args)}\n    exit {code}: {error.Trim()}");
            }
        }

        Assert.True(refused.Count == 0, "veo refuses commands printed in the docs:\n" + string.Join('\n', refused));
    }

    [Fact]
    public void VeoLinesAreFound_WhereverTheReadmePutsThem()
    {
        // The extraction the test above relies on, on the shapes the README uses.
        string block = "dotnet run --project src/Veo.Cli -- create -p \"A fox\" \\\n  -i samples/ball.jpg --watch   # comment\n"
            + "veo --app https://<your-app>.azurewebsites.net --key \"$KEY\" list\n"
            + "az storage blob list | while read -r name; do veo manifest run \"$name\"; done\n"
            + "export VEO_FUNCTION_KEY=$(az functionapp keys list -g <rg> -n <app> -o tsv)\n";
        var lines = VeoCommands(block).Select(args => string.Join(' ', args)).ToList();
        Assert.Equal(
            ["create -p A fox -i samples/ball.jpg --watch", "--app https://your-app.azurewebsites.net --key x list", "manifest run x"],
            lines);
    }

    [Fact]
    public void TheReadme_FitsOnAPage()
    {
        // Issue 19: at most 200 lines; what does not fit belongs in docs/.
        int lines = Read("README.md").TrimEnd('\n').Split('\n').Length;
        Assert.True(lines <= 200, $"README.md has {lines} lines; at most 200 fit on a page: move the detail to docs/.");
    }

    [Fact]
    public void TheTestRunsLastLine_AsTheReadmeQuotesIt_IsTheLineScriptsTestPrints()
    {
        // The whole suite's run cannot be a test of its own; its closing line is held to the printf that writes it.
        var format = SummaryPrintf().Match(Read("scripts/test"));
        Assert.True(format.Success, "scripts/test prints no 'N passed, N failed, N skipped' line");
        var quoted = Regex.Match(Read("README.md"), @"one line for the whole suite, such as\s+`([^`]+)`");
        Assert.True(quoted.Success, "README.md quotes no closing line of the test run");
        Assert.Matches("^" + Regex.Escape(format.Groups[1].Value).Replace("%d", @"\d+", StringComparison.Ordinal) + "$", quoted.Groups[1].Value);
    }

    [Fact]
    public void EveryRelativeLinkInTheDocs_LeadsToAFileOfTheRepository()
    {
        var files = DocFiles();
        Assert.Contains(Path.Combine("docs", "api.md"), files);

        var broken = new List<string>();
        foreach (string file in files)
        {
            foreach (Match link in MarkdownLink().Matches(WithoutCode(Read(file))))
            {
                string target = link.Groups[1].Value;
                if (target.StartsWith("http://", StringComparison.Ordinal) || target.StartsWith("https://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
                {
                    continue;
                }

                string[] parts = target.Split('#', 2);
                string path = parts[0].Length == 0 ? Path.Combine(Root, file) : Path.GetFullPath(Path.Combine(Root, Path.GetDirectoryName(file)!, Uri.UnescapeDataString(parts[0])));
                if (!path.StartsWith(Root, StringComparison.Ordinal) || (!File.Exists(path) && !Directory.Exists(path)))
                {
                    broken.Add($"{file}: {target} (no such file in the repository)");
                }
                else if (parts.Length == 2 && path.EndsWith(".md", StringComparison.Ordinal) && !Anchors(File.ReadAllText(path)).Contains(parts[1]))
                {
                    broken.Add($"{file}: {target} (no such heading)");
                }
            }
        }

        Assert.True(broken.Count == 0, "Links that lead nowhere:\n" + string.Join('\n', broken));
    }

    /// <summary>Runs veo in process on <paramref name="args"/>, against an app that refuses every connection.</summary>
    private static async Task<(int Code, string Error)> ParseAsync(string[] args)
    {
        var output = new TestConsole().Width(160);
        var error = new TestConsole().Width(400);
        using var http = new HttpClient(new Unreachable());
        var context = new CliContext
        {
            Out = output,
            Error = error,
            Http = http,
            Environment = _ => null,
            WorkingDirectory = Root,
            PollInterval = TimeSpan.FromMilliseconds(10),
            MaxPollFailures = 1,
            ApiOptions = new ApiClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1), RequestTimeout = Patience.Condition },
        };
        int code = await VeoCli.RunAsync(args, context);
        return (code, error.Output);
    }

    private sealed class Unreachable : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("Connection refused (a test stand-in: no app here).");
    }

    /// <summary>
    /// The veo argument lists of a bash block: each command (continuation lines joined, comments dropped, split at
    /// <c>|</c>, <c>;</c>, <c>&amp;&amp;</c>) that runs <c>veo</c> or <c>dotnet run --project src/Veo.Cli --</c>. Shell
    /// expansions (<c>$VAR</c>, <c>$(…)</c>) become <c>x</c> and placeholders (<c>&lt;your-app&gt;</c>) their name.
    /// </summary>
    private static IEnumerable<string[]> VeoCommands(string block)
    {
        string text = block.Replace("\\\n", " ", StringComparison.Ordinal);
        text = Substitution().Replace(text, "x");
        text = Variable().Replace(text, "x");
        text = Placeholder().Replace(text, "$1");
        foreach (string line in text.Split('\n'))
        {
            var command = new List<string>();
            foreach (string? word in Words(line).Append(null))
            {
                if (word is null or "|" or ";" or "&&" or "||")
                {
                    if (VeoArgs(command) is { } args)
                    {
                        yield return args;
                    }

                    command.Clear();
                    continue;
                }

                command.Add(word);
            }
        }
    }

    private static string[]? VeoArgs(List<string> command)
    {
        int start = command.Count > 0 && command[0] is "do" or "then" ? 1 : 0;
        if (command.Count > start && command[start] == "veo")
        {
            return [.. command.Skip(start + 1)];
        }

        if (command.Count > start + 3 && command[start] == "dotnet" && command[start + 1] == "run" && command.Contains("src/Veo.Cli") && command.IndexOf("--") is > 0 and var dashes)
        {
            return [.. command.Skip(dashes + 1)];
        }

        return null;
    }

    /// <summary>A line's words as bash splits them (quotes removed), with unquoted operators as words of their own.</summary>
    private static IEnumerable<string> Words(string line)
    {
        var word = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (c == '#' && !inWord)
            {
                break;
            }
            else if (char.IsWhiteSpace(c) || c is '|' or ';' or '&')
            {
                if (inWord)
                {
                    yield return word.ToString();
                    word.Clear();
                    inWord = false;
                }

                if (!char.IsWhiteSpace(c))
                {
                    bool doubled = i + 1 < line.Length && line[i + 1] == c;
                    yield return doubled ? new string(c, 2) : c.ToString();
                    i += doubled ? 1 : 0;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            yield return word.ToString();
        }
    }

    /// <summary>README.md, CONTRIBUTING.md, CHANGELOG.md and docs/*.md, relative to the repository.</summary>
    private static List<string> DocFiles() =>
        [.. new[] { "README.md", "CONTRIBUTING.md", "CHANGELOG.md" }.Where(f => File.Exists(Path.Combine(Root, f))),
            .. Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Select(f => Path.GetRelativePath(Root, f)).Order(StringComparer.Ordinal)];

    private static IEnumerable<string> BashBlocks(string markdown) => BashBlock().Matches(markdown).Select(m => m.Groups[1].Value);

    private static string WithoutCode(string markdown) => InlineCode().Replace(FencedBlock().Replace(markdown, ""), "");

    /// <summary>The anchors GitHub gives a file's headings, and its own <c>&lt;a id="…"&gt;</c> anchors.</summary>
    private static HashSet<string> Anchors(string markdown) =>
        [.. Heading().Matches(FencedBlock().Replace(markdown, "")).Select(m => AnchorRemoved().Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-')),
            .. HtmlAnchor().Matches(markdown).Select(m => m.Groups[1].Value)];

    private static string Read(string file) => File.ReadAllText(Path.Combine(Root, file)).ReplaceLineEndings("\n");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VeoFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("No VeoFunctions.sln above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"printf ""(%d passed[^""]*)\\n""")]
    private static partial Regex SummaryPrintf();

    [GeneratedRegex(@"```bash\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    [GeneratedRegex(@"^```.*?^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"(?<![\w/.$-])((?:scripts|samples|src|tests|infra|docs)/[\w./-]*\w)")]
    private static partial Regex RepositoryPath();

    [GeneratedRegex(@"\$\([^)]*\)")]
    private static partial Regex Substitution();

    [GeneratedRegex(@"\$\{?\w+\}?")]
    private static partial Regex Variable();

    [GeneratedRegex(@"<([\w.-]+)>")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\]\(([^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"^#{1,6}\s+(.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"<a id=""([\w-]+)""></a>")]
    private static partial Regex HtmlAnchor();

    [GeneratedRegex(@"[^\p{L}\p{Nd}\s_-]")]
    private static partial Regex AnchorRemoved();
}
