// pshost: runs PowerShell 7.6 (the System.Management.Automation engine package) like
// `pwsh -NoProfile [-NonInteractive]`, for the tests and the demo on machines without pwsh.
//
// Where users could tell the difference, it does what pwsh's ConsoleHost does:
//   - its runspace is the process's primary runspace, and at the end it is closed synchronously, which
//     disposes every other open runspace (waiting for their pipelines); then Main returns. So a runspace or
//     foreground thread that would keep pwsh from exiting keeps this host from exiting too.
//   - `-Command -` reads and runs stdin a statement at a time; Ctrl+C stops the running one only.
//   - prompts (Read-Host, -Confirm, Inquire preferences) read stdin, or throw under -NonInteractive.
//
//   pshost [-NoProfile] [-NonInteractive] [-NoLogo] [-OutputFormat Text|Json] [-Width N]
//          [-ExecutionPolicy <ignored>] [-WorkingDirectory <dir>]
//          (-File <path> [args...] | -Command <text...> | -Command - | -EncodedCommand <base64>)
//
// Exit codes (following pwsh's ConsoleHost):
//   `exit N`                                   -> N
//   unhandled terminating error (incl. parse)  -> 1
//   pipeline stopped by SIGINT (Ctrl+C)        -> 1 (after the script's finally blocks ran)
//   -Command / -EncodedCommand otherwise       -> 0 if $? is true after the script, else 1
//   -File otherwise                            -> 0 (non-terminating errors do not change it)
//   bad command line, missing -File            -> 64
//   SIGTERM                                    -> 143 (after stopping the pipeline; at most 5 s)
//
// PSHOST_DEBUG=1 in the environment prints the .NET exception behind a reported terminating error.
//
// Files: Program.cs (command line, exit codes, signals), Host.cs (PSHost / UI / RawUI, where all
// output goes), Json.cs (the -OutputFormat Json records).
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace PsHost;

internal sealed class Options
{
    public string? File;
    public string? Command;
    public bool CommandFromStdin;
    public bool NonInteractive;
    public readonly List<CommandParameter> FileArgs = new();
    public bool Json;
    public int? Width;
    public string? WorkingDirectory;
    public bool Help;

    public const string Usage =
        "Usage: pshost [-NoProfile] [-NonInteractive] [-NoLogo] [-OutputFormat Text|Json] [-Width N]\n" +
        "              [-ExecutionPolicy <ignored>] [-WorkingDirectory <dir>]\n" +
        "              (-File <path> [args...] | -Command <text...> | -Command - | -EncodedCommand <base64>)";

    // Parameter names and the shortest prefix accepted for each, like pwsh's command-line parser
    // (`-c`, `-f`, `-nop`, `-noni`, `-o`/`-of`, `-ex`/`-ep`, `-e`/`-ec`, `-wd`). -Width is ours.
    private static readonly (string Name, string MinPrefix, string[] Aliases)[] Known =
    {
        ("command", "c", Array.Empty<string>()),
        ("file", "f", Array.Empty<string>()),
        ("noprofile", "nop", Array.Empty<string>()),
        ("noninteractive", "noni", Array.Empty<string>()),
        ("nologo", "nol", Array.Empty<string>()),
        ("outputformat", "o", new[] { "of" }),
        ("executionpolicy", "ex", new[] { "ep" }),
        ("encodedcommand", "e", new[] { "ec" }),
        ("workingdirectory", "wo", new[] { "wd" }),
        ("width", "wi", Array.Empty<string>()),
        ("help", "h", new[] { "?" }),
    };

    private static string? Canonical(string arg)
    {
        string key = arg.TrimStart('-').ToLowerInvariant();
        if (key.Length == 0) return null;
        foreach (var (name, minPrefix, aliases) in Known)
        {
            if (aliases.Contains(key)) return name;
            if (key.Length >= minPrefix.Length && name.StartsWith(key, StringComparison.Ordinal)) return name;
        }
        return null;
    }

    /// <summary>Parses the command line into <paramref name="o"/>; returns an error message or null.</summary>
    public static string? Parse(string[] args, Options o)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a.Length < 2 || a[0] != '-')
            {
                // Like pwsh, the first argument that is not a switch is the script file.
                o.File = a;
                CollectFileArgs(args, i + 1, o.FileArgs);
                return null;
            }
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (Canonical(a))
            {
                case "noprofile" or "nologo":
                    // No profile is ever loaded.
                    break;
                case "noninteractive":
                    // Like pwsh: a prompt (Read-Host, -Confirm, an Inquire preference) throws instead of
                    // reading from stdin.
                    o.NonInteractive = true;
                    break;
                case "executionpolicy":
                    // Accepted for command lines written for pwsh; there is no execution policy on Linux.
                    if (Next() is null) return "-ExecutionPolicy needs a value.";
                    break;
                case "outputformat":
                    string? fmt = Next();
                    if (fmt is null || !(fmt.Equals("Text", StringComparison.OrdinalIgnoreCase) || fmt.Equals("Json", StringComparison.OrdinalIgnoreCase)))
                        return "-OutputFormat must be Text or Json.";
                    o.Json = fmt.Equals("Json", StringComparison.OrdinalIgnoreCase);
                    break;
                case "width":
                    if (!int.TryParse(Next(), out int width) || width < 10 || width > 10000)
                        return "-Width needs a number between 10 and 10000.";
                    o.Width = width;
                    break;
                case "workingdirectory":
                    o.WorkingDirectory = Next();
                    if (string.IsNullOrEmpty(o.WorkingDirectory)) return "-WorkingDirectory needs a path.";
                    break;
                case "help":
                    o.Help = true;
                    return null;
                case "file":
                    o.File = Next() ?? "";
                    if (o.File.Length == 0) return "-File needs a path.";
                    CollectFileArgs(args, i + 1, o.FileArgs);
                    return null;
                case "command":
                    if (i + 1 >= args.Length) return "-Command needs a value.";
                    if (args[i + 1] == "-" && i + 2 == args.Length) o.CommandFromStdin = true;
                    else o.Command = string.Join(' ', args[(i + 1)..]);
                    return null;
                case "encodedcommand":
                    string? encoded = Next();
                    if (encoded is null) return "-EncodedCommand needs a value.";
                    try { o.Command = Encoding.Unicode.GetString(Convert.FromBase64String(encoded)); }
                    catch (FormatException) { return "-EncodedCommand is not valid base64 (of UTF-16LE text)."; }
                    return null;
                default:
                    return $"Unknown parameter '{a}'.";
            }
        }
        return "Give -File or -Command.";
    }

    /// <summary>Turns the arguments after -File into parameters the way pwsh does: `-Name value` (the engine's
    /// binder pairs a name without value with the next argument, or treats it as a switch), `-Name:value`,
    /// `-Name:$true|$false`; everything else positional.</summary>
    private static void CollectFileArgs(string[] args, int start, List<CommandParameter> into)
    {
        for (int i = start; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg.Length > 1 && arg[0] == '-' && !char.IsDigit(arg[1]) && arg[1] != '.')
            {
                int colon = arg.IndexOf(':');
                if (colon < 0) into.Add(new CommandParameter(arg));
                else if (colon == arg.Length - 1)
                {
                    // `-Name: value`
                    string pendingName = arg[..colon];
                    if (i + 1 < args.Length) into.Add(new CommandParameter(pendingName, args[++i]));
                    else into.Add(new CommandParameter(pendingName));
                }
                else
                {
                    string value = arg[(colon + 1)..], argName = arg[..colon];
                    if (value.Equals("$true", StringComparison.OrdinalIgnoreCase)) into.Add(new CommandParameter(argName, true));
                    else if (value.Equals("$false", StringComparison.OrdinalIgnoreCase)) into.Add(new CommandParameter(argName, false));
                    else into.Add(new CommandParameter(argName, value));
                }
            }
            else into.Add(new CommandParameter(null, arg));
        }
    }
}

internal static class Program
{
    private static int Main(string[] args)
    {
        var o = new Options();
        if (Options.Parse(args, o) is { } problem)
        {
            Console.Error.WriteLine(problem);
            Console.Error.WriteLine(Options.Usage);
            return 64;
        }
        if (o.Help)
        {
            Console.Out.WriteLine(Options.Usage);
            return 0;
        }
        if (o.WorkingDirectory != null)
        {
            try { Environment.CurrentDirectory = o.WorkingDirectory; }
            catch (Exception ex)
            {
                Console.Error.WriteLine($"-WorkingDirectory: {ex.Message}");
                return 64;
            }
        }

        string? filePath = null;
        if (o.File != null)
        {
            filePath = Path.GetFullPath(o.File);
            if (!File.Exists(filePath))
            {
                Console.Error.WriteLine($"The argument '{o.File}' is not recognized as the name of a script file. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.");
                Console.Error.WriteLine(Options.Usage);
                return 64;
            }
        }

        // Redirected output gets a fixed width (120 unless -Width) so that tables do not depend on the
        // terminal the tests happen to run in.
        int width = o.Width ?? TerminalWidth() ?? 120;
        var output = new Output(o.Json);
        var host = new Host(output, width, interactive: !o.NonInteractive);
        if (o.Json)
        {
            // [Console]::Out.WriteLine(...) from the script must not break the one-JSON-record-per-line
            // stdout: each line becomes a {"kind":"host","stream":"console"} record.
            Console.SetOut(new ConsoleRecordWriter(output));
        }

        var session = new Session(host, output);
        // Ctrl+C: stop the running pipeline (finally blocks run), like pwsh. ctx.Cancel keeps the process
        // alive so that the pipeline can unwind; Run() then returns 1.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; session.Stop(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; session.Terminate(); });

        int code;
        try
        {
            session.Open();
            if (filePath != null)
            {
                // pwsh on Unix runs a file without the .ps1 extension as script text (shebang scripts).
                var command = filePath.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase)
                    ? new Command(filePath, isScript: false, useLocalScope: false)
                    : new Command(File.ReadAllText(filePath), isScript: true, useLocalScope: false);
                foreach (var p in o.FileArgs) command.Parameters.Add(p);
                // What pwsh -File does, so that `exit N` in the script ends the run with N instead of only
                // setting $LASTEXITCODE.
                session.RethrowExitFromScriptFile();
                code = session.Run(command, isFile: true);
            }
            else if (o.CommandFromStdin)
            {
                code = session.RunFromStdin();
            }
            else
            {
                code = session.Run(new Command(o.Command!, isScript: true, useLocalScope: false), isFile: false);
            }
        }
        catch (Exception ex)
        {
            // Not the script's failure (those are handled in Run) but the host's: report it plainly.
            Console.Error.WriteLine($"pshost: {ex}");
            code = 70; // pwsh's ExitCodeInitFailure
        }
        Console.Out.Flush();
        // Like pwsh's ConsoleHost: close the primary runspace (which raises PowerShell.Exiting and then
        // disposes every other open runspace of the process, waiting for their pipelines), then return
        // from Main. No forced Environment.Exit: if a runspace or a foreground thread the script left
        // behind keeps pwsh from exiting, it keeps this host from exiting too, so tests see it.
        session.Close();
        return code;
    }

    /// <summary>The terminal's width when stdout is a terminal; null when redirected.</summary>
    private static int? TerminalWidth()
    {
        if (Console.IsOutputRedirected) return null;
        try { return Console.WindowWidth >= 10 ? Console.WindowWidth : null; }
        catch { return null; }
    }
}

/// <summary>One runspace and the pipeline running in it.</summary>
internal sealed class Session
{
    private readonly Host _host;
    private readonly Output _output;
    private readonly Runspace _runspace;
    private readonly object _lock = new();
    private PowerShell? _current;
    private bool _stopRequested;          // under _lock
    private volatile bool _terminating;   // SIGTERM received

    public Session(Host host, Output output)
    {
        _host = host;
        _output = output;
        // Default2 = only Microsoft.PowerShell.Core, which is all the engine package has. Module autoload
        // from $env:PSModulePath works. ExecutionPolicy must stay unset: setting it throws on Linux.
        _runspace = RunspaceFactory.CreateRunspace(host, InitialSessionState.CreateDefault2());
        // One pipeline thread for the whole run (like pwsh), so thread-affine state in the script survives
        // between the pipelines the host runs.
        _runspace.ThreadOptions = PSThreadOptions.ReuseThread;
    }

    public void Open()
    {
        _runspace.Open();
        MakePrimary();
        _runspace.SessionStateProxy.Path.SetLocation(WildcardPattern.Escape(Environment.CurrentDirectory));
        if (Console.IsOutputRedirected || _output.Json)
        {
            // Like pwsh with redirected output: no ANSI escapes from the formatting engine or $PSStyle.
            using var ps = NewPowerShell();
            ps.AddScript("$PSStyle.OutputRendering = [System.Management.Automation.OutputRendering]::PlainText").Invoke();
        }
    }

    /// <summary>Makes this the process's primary runspace (internal Runspace.PrimaryRunspace), as pwsh's
    /// ConsoleHost does right after opening its runspace. The engine reads it when a runspace closes: closing
    /// the primary one disposes every other open local runspace of the process (the module's reader, the
    /// runspaces of ForEach-Object -Parallel and jobs), stopping their pipelines and waiting for them. That
    /// is how pwsh exits, and a runspace that cannot be stopped keeps pwsh, and so this host, from exiting.</summary>
    private void MakePrimary()
    {
        var primary = typeof(Runspace).GetProperty("PrimaryRunspace", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public);
        if (primary is null)
            throw new InvalidOperationException("This engine has no Runspace.PrimaryRunspace; pshost cannot close runspaces the way pwsh does.");
        primary.SetValue(null, _runspace);
    }

    /// <summary>Sets the engine's ScriptCommandProcessorShouldRethrowExit, as pwsh's ConsoleHost does for
    /// -File. The setting is internal; the engine version is pinned in pshost.csproj. If a future engine
    /// lacks it, `exit N` in a -File script only sets $LASTEXITCODE, which we then report as the exit code.</summary>
    public void RethrowExitFromScriptFile()
    {
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
        object? context = typeof(Runspace).GetProperty("ExecutionContext", flags)?.GetValue(_runspace);
        var setting = context?.GetType().GetProperty("ScriptCommandProcessorShouldRethrowExit", flags);
        if (setting != null) setting.SetValue(context, true);
        else
        {
            _rethrowExitUnavailable = true;
            Console.Error.WriteLine("pshost: warning: ScriptCommandProcessorShouldRethrowExit not found in this engine; using $LASTEXITCODE for `exit N`.");
        }
    }
    private bool _rethrowExitUnavailable;

    private PowerShell NewPowerShell()
    {
        var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        return ps;
    }

    /// <summary>Runs the script like pwsh's ConsoleHost and returns the process exit code.</summary>
    public int Run(Command command, bool isFile, bool dropPendingStop = false)
    {
        using var ps = NewPowerShell();
        var results = new PSDataCollection<PSObject>();
        if (_output.Json)
        {
            // Each object and each error is written as a JSON record the moment the script emits it (DataAdded
            // is raised on the pipeline thread, so ScriptProperties can be read while serializing).
            ps.Commands.AddCommand(command);
            results.DataAdded += (_, _) => { foreach (var obj in results.ReadAll()) Json.Object(_output, obj); };
            ps.Streams.Error.DataAdded += (_, _) =>
            {
                foreach (var record in ps.Streams.Error.ReadAll())
                    Json.Error(_output, record, RenderNested(record), terminating: false);
            };
        }
        else
        {
            // Exactly what pwsh's Executor does: merge errors into output and render all through Out-Default,
            // which formats objects with the loaded views and writes error records with WriteErrorLine.
            command.MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);
            ps.Commands.AddCommand(command);
            ps.Commands.AddCommand(new Command("Out-Default", isScript: false, useLocalScope: true));
        }

        Exception? failure = null;
        bool stopRequested = false;
        lock (_lock)
        {
            // A Ctrl+C while nothing ran: before a -File/-Command script it ends the run (signalled during
            // startup); between the commands read from stdin it is dropped, as at pwsh's prompt.
            if (dropPendingStop) _stopRequested = false;
            if (_stopRequested || _terminating) return _terminating ? 143 : 1;
            _current = ps;
        }
        try
        {
            // AddToHistory = true like pwsh's command pipeline: without it the engine restores $? after the
            // pipeline, and the -Command exit code (from $global:?) would always be 0.
            ps.Invoke<PSObject, PSObject>(null, results, new PSInvocationSettings { AddToHistory = true });
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            lock (_lock)
            {
                _current = null;
                stopRequested = _stopRequested;
                _stopRequested = false;
            }
        }

        bool stopped = ps.InvocationStateInfo.State == PSInvocationState.Stopped
            || failure is PipelineStoppedException
            || stopRequested;
        if (_terminating) return 143;
        if (_host.ExitCode is int exitCode) return exitCode;
        if (stopped) return 1; // pwsh prints nothing for a stopped pipeline
        if (failure != null)
        {
            Report(failure, command.IsScript ? command.CommandText : null);
            return 1;
        }
        if (isFile)
        {
            if (_rethrowExitUnavailable && LastExitCode() is int last) return last;
            return 0;
        }
        return DollarHook() ? 0 : 1;
    }

    /// <summary>`-Command -`: like pwsh, reads stdin a line at a time and runs each complete statement as soon
    /// as it has been read (an incomplete one, e.g. an open brace, takes more lines; an empty line ends it).
    /// A Ctrl+C stops the command that is running and the loop goes on with the next one, as in pwsh. The
    /// exit code is that of the last command, or N after `exit N`.</summary>
    public int RunFromStdin()
    {
        int code = 0;
        var text = new StringBuilder();
        while (true)
        {
            string? line = Console.In.ReadLine();
            if (line != null)
            {
                text.Append(line).Append('\n');
                if (line.Length > 0 && IsIncomplete(text.ToString())) continue;
                if (string.IsNullOrWhiteSpace(text.ToString())) { text.Clear(); continue; }
            }
            else if (string.IsNullOrWhiteSpace(text.ToString())) break;
            string script = text.ToString();
            text.Clear();
            code = Run(new Command(script, isScript: true, useLocalScope: false), isFile: false, dropPendingStop: true);
            if (_host.ExitCode is not null || _terminating || line is null) break;
        }
        return code;
    }

    private static bool IsIncomplete(string script)
    {
        System.Management.Automation.Language.Parser.ParseInput(script, out _, out var errors);
        return errors.Length > 0 && errors.All(e => e.IncompleteInput);
    }

    /// <summary>$global:? after the run, which is how pwsh decides between 0 and 1 for -Command.</summary>
    private bool DollarHook()
    {
        try
        {
            using var ps = NewPowerShell();
            var r = ps.AddScript("$global:?").Invoke();
            return r.Count == 1 && LanguagePrimitives.IsTrue(r[0]);
        }
        catch { return false; }
    }

    private int? LastExitCode()
    {
        try
        {
            using var ps = NewPowerShell();
            var r = ps.AddScript("$global:LASTEXITCODE").Invoke();
            return r.Count == 1 && r[0]?.BaseObject is int n ? n : null;
        }
        catch { return null; }
    }

    /// <summary>Reports the exception that ended the run, through Out-Default like pwsh's ReportException
    /// (ConciseView: "Exception: file:line", the line, the message).</summary>
    private void Report(Exception ex, string? scriptText)
    {
        // PSHOST_DEBUG=1: the whole exception with its .NET stack, for debugging the host.
        if (Environment.GetEnvironmentVariable("PSHOST_DEBUG") == "1") Console.Error.WriteLine($"pshost debug: {ex}");
        var record = (ex as IContainsErrorRecord)?.ErrorRecord
            ?? new ErrorRecord(ex, "ConsoleHost.ReportException", ErrorCategory.NotSpecified, null);
        if (ex is ParseException && record.InvocationInfo is null && scriptText != null)
        {
            // -Command text that does not parse: the engine throws an IncompleteParseException without the
            // position; parse again to get one, so that the error shows the line with a marker like pwsh.
            System.Management.Automation.Language.Parser.ParseInput(scriptText, out _, out var errors);
            if (errors.Length > 0) record = new ParseException(errors).ErrorRecord;
        }
        string? rendered = null;
        try { rendered = _host.HostUI.Capture(() => RenderWith(NewPowerShell(), record), anyThread: true); }
        catch { /* fall back to the plain message below */ }
        if (string.IsNullOrWhiteSpace(rendered))
        {
            rendered = (record.ErrorDetails?.Message ?? ex.Message) + "\n";
            if (record.InvocationInfo?.PositionMessage is { Length: > 0 } position) rendered += position + "\n";
        }
        if (_output.Json)
        {
            // Serializing may read ScriptProperties of the target object; give this thread the runspace.
            Runspace.DefaultRunspace = _runspace;
            Json.Error(_output, record, rendered, terminating: true);
        }
        else _output.Err(rendered);
    }

    /// <summary>The engine's own rendering of a non-terminating error (JSON "rendered" field), from a nested
    /// pipeline on the pipeline thread (where DataAdded is raised).</summary>
    private string? RenderNested(ErrorRecord record)
    {
        try { return _host.HostUI.Capture(() => RenderWith(PowerShell.Create(RunspaceMode.CurrentRunspace), record), anyThread: false); }
        catch { return null; }
    }

    private static void RenderWith(PowerShell ps, ErrorRecord record)
    {
        using (ps)
        {
            // The note property is what the engine adds to errors merged into the output, and what tells
            // Out-Default to write the record with WriteErrorLine.
            var wrapped = new PSObject(record);
            wrapped.Properties.Add(new PSNoteProperty("writeErrorStream", true));
            ps.AddCommand("Out-Default").Invoke(new[] { wrapped });
        }
    }

    /// <summary>Ctrl+C: stop the running pipeline, as pwsh does. The engine raises PipelineStoppedException in
    /// the script at the next statement, so finally blocks run; a long .NET call is not interrupted.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stopRequested = true;
            _current?.BeginStop(null, null);
        }
    }

    /// <summary>SIGTERM: stop like Ctrl+C, let finally blocks run for up to 5 s, then exit 143 regardless.</summary>
    public void Terminate()
    {
        _terminating = true;
        Stop();
        var watchdog = new Thread(() => { Thread.Sleep(5000); Console.Out.Flush(); Environment.Exit(143); }) { IsBackground = true };
        watchdog.Start();
    }

    /// <summary>Closes the runspace as pwsh does at exit: synchronously, with no time limit. Being the primary
    /// runspace (see MakePrimary), its close raises PowerShell.Exiting and disposes every other open runspace
    /// of the process.</summary>
    public void Close()
    {
        _runspace.Close();
        _runspace.Dispose();
    }
}
