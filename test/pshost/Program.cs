// pshost: runs PowerShell 7.6 (the System.Management.Automation engine) like `pwsh -NoProfile -NonInteractive`.
//
//   pshost [-NoProfile] [-NonInteractive] [-NoLogo] [-OutputFormat Text|Json] [-Width N]
//          (-File <path> [args...] | -Command <text...> | -Command -)
//
// Exit codes (following pwsh's ConsoleHost): `exit N` -> N; a terminating error or a stopped pipeline
// (SIGINT) -> 1; otherwise 0 if `$?` is true after the script, else 1; bad command line or missing
// -File -> 64; SIGTERM -> 143 after the pipeline has been stopped.
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Runtime.InteropServices;

namespace PsHost;

internal sealed class Options
{
    public string? File;
    public string? Command;
    public readonly List<CommandParameter> FileArgs = new();
    public bool Json;
    public int? Width;

    private const string Usage =
        "Usage: pshost [-NoProfile] [-NonInteractive] [-NoLogo] [-OutputFormat Text|Json] [-Width N]\n" +
        "              (-File <path> [args...] | -Command <text> | -Command -)";

    /// <summary>Parses the command line; returns an error message or null.</summary>
    public static string? Parse(string[] args, Options o)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a.Length < 2 || a[0] != '-')
            {
                // Like pwsh, a first non-switch argument is the script file.
                o.File = a;
                CollectFileArgs(args, i + 1, o.FileArgs);
                return null;
            }
            string name = a.TrimStart('-').ToLowerInvariant();
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (name)
            {
                case "noprofile" or "nop" or "noninteractive" or "noni" or "nologo" or "nol":
                    break;
                case "outputformat" or "of" or "o":
                    string? fmt = Next();
                    if (fmt is null || !(fmt.Equals("Text", StringComparison.OrdinalIgnoreCase) || fmt.Equals("Json", StringComparison.OrdinalIgnoreCase)))
                        return $"-OutputFormat must be Text or Json.\n{Usage}";
                    o.Json = fmt.Equals("Json", StringComparison.OrdinalIgnoreCase);
                    break;
                case "width" or "w":
                    if (!int.TryParse(Next(), out int width) || width < 10)
                        return $"-Width needs a number of at least 10.\n{Usage}";
                    o.Width = width;
                    break;
                case "file" or "f":
                    o.File = Next() ?? "";
                    if (o.File.Length == 0) return $"-File needs a path.\n{Usage}";
                    CollectFileArgs(args, i + 1, o.FileArgs);
                    return null;
                case "command" or "c":
                    if (i + 1 >= args.Length) return $"-Command needs a value.\n{Usage}";
                    o.Command = string.Join(' ', args[(i + 1)..]);
                    return null;
                default:
                    return $"Unknown parameter '{a}'.\n{Usage}";
            }
        }
        return $"Give -File or -Command.\n{Usage}";
    }

    /// <summary>Turns the arguments after -File into parameters the way pwsh does: `-Name`, `-Name:value`,
    /// `-Name:$true|$false`, everything else positional.</summary>
    private static void CollectFileArgs(string[] args, int start, List<CommandParameter> into)
    {
        string? pending = null;
        for (int i = start; i < args.Length; i++)
        {
            string arg = args[i];
            if (pending != null)
            {
                into.Add(new CommandParameter(pending, arg));
                pending = null;
            }
            else if (arg.Length > 1 && arg[0] == '-')
            {
                int colon = arg.IndexOf(':');
                if (colon < 0) into.Add(new CommandParameter(arg));
                else if (colon == arg.Length - 1) pending = arg.TrimEnd(':');
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
        if (pending != null) into.Add(new CommandParameter(pending));
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
            return 64;
        }

        string? filePath = null;
        if (o.File != null)
        {
            filePath = Path.GetFullPath(o.File);
            if (!File.Exists(filePath))
            {
                Console.Error.WriteLine($"The argument '{o.File}' is not recognized as the name of a script file. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.");
                return 64;
            }
        }
        if (o.Command == "-") o.Command = Console.In.ReadToEnd();

        int width = o.Width ?? (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int cols) && cols >= 10 ? cols : 120);
        var output = new Output { Json = o.Json };
        var host = new Host(output, width);

        using var session = new Session(host, output);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; session.Stop(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; session.Terminate(); });

        session.Open();
        Command command;
        if (filePath != null)
        {
            // pwsh on Unix runs a file without the .ps1 extension as script text (for shebang use).
            command = filePath.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase)
                ? new Command(filePath, isScript: false, useLocalScope: false)
                : new Command(File.ReadAllText(filePath), isScript: true, useLocalScope: false);
            foreach (var p in o.FileArgs) command.Parameters.Add(p);
            // What pwsh -File does, so that `exit N` in the script ends the run with N instead of only
            // setting $LASTEXITCODE. The setting is internal; the engine version is pinned.
            session.RethrowExitFromScriptFile();
        }
        else
        {
            command = new Command(o.Command!, isScript: true, useLocalScope: false);
        }
        return session.Run(command);
    }
}

/// <summary>One runspace and the pipeline running in it.</summary>
internal sealed class Session : IDisposable
{
    private readonly Host _host;
    private readonly Output _output;
    private readonly Runspace _runspace;
    private readonly object _lock = new();
    private PowerShell? _current;
    private volatile bool _terminating;

    public Session(Host host, Output output)
    {
        _host = host;
        _output = output;
        // Default2 = the engine's own defaults (no snap-in aliases). ExecutionPolicy must stay unset on Linux.
        _runspace = RunspaceFactory.CreateRunspace(host, InitialSessionState.CreateDefault2());
        _runspace.ThreadOptions = PSThreadOptions.ReuseThread;
    }

    public void Open()
    {
        _runspace.Open();
        _runspace.SessionStateProxy.Path.SetLocation(WildcardPattern.Escape(Environment.CurrentDirectory));
        if (Console.IsOutputRedirected || _output.Json)
        {
            using var ps = NewPowerShell();
            ps.AddScript("$PSStyle.OutputRendering = 'PlainText'").Invoke();
        }
    }

    public void RethrowExitFromScriptFile()
    {
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
        object context = typeof(Runspace).GetProperty("ExecutionContext", flags)?.GetValue(_runspace)
            ?? throw new InvalidOperationException("pshost: Runspace.ExecutionContext not found in this engine version.");
        var setting = context.GetType().GetProperty("ScriptCommandProcessorShouldRethrowExit", flags)
            ?? throw new InvalidOperationException("pshost: ScriptCommandProcessorShouldRethrowExit not found in this engine version.");
        setting.SetValue(context, true);
    }

    private PowerShell NewPowerShell()
    {
        var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        return ps;
    }

    /// <summary>Runs the script like pwsh's ConsoleHost and returns the process exit code.</summary>
    public int Run(Command command)
    {
        using var ps = NewPowerShell();
        PSDataCollection<PSObject>? results = null;
        if (_output.Json)
        {
            ps.Commands.AddCommand(command);
            results = new PSDataCollection<PSObject>();
            results.DataAdded += (_, _) => { foreach (var obj in results.ReadAll()) Json.Object(_output, obj); };
            ps.Streams.Error.DataAdded += (_, _) =>
            {
                foreach (var record in ps.Streams.Error.ReadAll()) Json.Error(_output, record, RenderNested(record), terminating: false);
            };
        }
        else
        {
            // Exactly what pwsh's Executor does: merge errors into output and render all through Out-Default.
            command.MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);
            ps.Commands.AddCommand(command);
            ps.Commands.AddCommand(new Command("Out-Default", isScript: false, useLocalScope: true));
        }

        Exception? failure = null;
        lock (_lock) _current = ps;
        try
        {
            if (!_terminating) ps.Invoke<PSObject, PSObject>(null, results ?? new PSDataCollection<PSObject>(), new PSInvocationSettings());
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            lock (_lock) _current = null;
        }

        int code;
        if (_host.ExitCode is int exitCode) code = exitCode;
        else if (failure != null)
        {
            Report(failure);
            code = 1;
        }
        else code = DollarHook() ? 0 : 1;
        return _terminating ? 143 : code;
    }

    /// <summary>$global:? after the run, which is how pwsh decides between 0 and 1.</summary>
    private bool DollarHook()
    {
        try
        {
            using var ps = NewPowerShell();
            var r = ps.AddScript("$global:?").Invoke();
            return r.Count > 1 || (r.Count == 1 && LanguagePrimitives.IsTrue(r[0]));
        }
        catch { return false; }
    }

    /// <summary>Reports the exception that ended the run, through Out-Default like pwsh's ReportException.</summary>
    private void Report(Exception ex)
    {
        var record = (ex as IContainsErrorRecord)?.ErrorRecord
            ?? new ErrorRecord(ex, "ConsoleHost.ReportException", ErrorCategory.NotSpecified, null);
        if (_output.Json)
        {
            string? rendered = null;
            try { rendered = HostUI.Capture(() => RenderWith(NewPowerShell(), record)); } catch { }
            Json.Error(_output, record, rendered, terminating: true);
            return;
        }
        try { RenderWith(NewPowerShell(), record); }
        catch
        {
            _host.UI.WriteErrorLine(ex.Message);
            if (record.InvocationInfo?.PositionMessage is { Length: > 0 } position) _host.UI.WriteErrorLine(position);
        }
    }

    /// <summary>The engine's own rendering of a non-terminating error, from a nested pipeline on the pipeline
    /// thread (where DataAdded is raised).</summary>
    private static string? RenderNested(ErrorRecord record)
    {
        try { return HostUI.Capture(() => RenderWith(PowerShell.Create(RunspaceMode.CurrentRunspace), record)); }
        catch { return null; }
    }

    private static void RenderWith(PowerShell ps, ErrorRecord record)
    {
        using (ps)
        {
            var wrapped = new PSObject(record);
            wrapped.Properties.Add(new PSNoteProperty("writeErrorStream", true));
            ps.AddCommand("Out-Default").Invoke(new[] { wrapped });
        }
    }

    /// <summary>Ctrl+C: stop the running pipeline, as pwsh does.</summary>
    public void Stop()
    {
        lock (_lock) _current?.BeginStop(null, null);
    }

    /// <summary>SIGTERM: stop, let finally blocks run for a moment, then exit 143 regardless.</summary>
    public void Terminate()
    {
        _terminating = true;
        Stop();
        var watchdog = new Thread(() => { Thread.Sleep(5000); Environment.Exit(143); }) { IsBackground = true };
        watchdog.Start();
    }

    public void Dispose() => _runspace.Dispose();
}
