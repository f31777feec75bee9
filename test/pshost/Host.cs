// The PSHost, its UI and RawUI: a console host like pwsh's with redirected streams. Prompts read their
// answer from stdin; with -NonInteractive they throw, as in `pwsh -NonInteractive`.
//
// Everything the engine shows goes through HostUI:
//   Write/WriteLine            formatted output from Out-Default, host text, displayed information -> stdout
//   WriteErrorLine             error records rendered by Out-Default (ConciseView)                 -> stderr
//   WriteVerbose/Warning/DebugLine  "VERBOSE: " / "WARNING: " / "DEBUG: " lines                    -> stdout (as pwsh)
// In JSON mode the same calls become one JSON record per line on stdout (see Json.cs).
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace PsHost;

/// <summary>Where the UI sends what it is given: plain text (like pwsh) or JSON records. Writes go straight
/// to the stdout/stderr file descriptors, unbuffered, under one lock, so that lines from different threads
/// (ForEach-Object -Parallel, signal handlers) never interleave mid-line.</summary>
internal sealed class Output
{
    private readonly object _lock = new();
    private readonly Stream _stdout = Console.OpenStandardOutput();
    private readonly Stream _stderr = Console.OpenStandardError();
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public Output(bool json) => Json = json;

    public bool Json { get; }

    public void Out(string text) => Write(_stdout, text);
    public void Err(string text) => Write(_stderr, text);

    /// <summary>One JSON record per line on stdout.</summary>
    public void Record(byte[] utf8Json)
    {
        lock (_lock)
        {
            _stdout.Write(utf8Json);
            _stdout.WriteByte((byte)'\n');
            _stdout.Flush();
        }
    }

    private void Write(Stream s, string text)
    {
        var bytes = Utf8.GetBytes(text);
        lock (_lock)
        {
            s.Write(bytes);
            s.Flush();
        }
    }
}

/// <summary>Console.Out in JSON mode: text the script writes with [Console]::Out / [Console]::WriteLine
/// becomes {"kind":"host","stream":"console","text":"...\n"} records, one per line.</summary>
internal sealed class ConsoleRecordWriter : TextWriter
{
    private readonly Output _output;
    private readonly StringBuilder _line = new();

    public ConsoleRecordWriter(Output output) => _output = output;

    public override Encoding Encoding => Encoding.UTF8;

    // Console.SetOut wraps this writer in a synchronized one, so these are never called concurrently.
    public override void Write(char value)
    {
        _line.Append(value);
        if (value == '\n') Flush();
    }

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        int start = 0;
        for (int nl = value.IndexOf('\n'); nl >= 0; nl = value.IndexOf('\n', start))
        {
            _line.Append(value, start, nl + 1 - start);
            Flush();
            start = nl + 1;
        }
        _line.Append(value, start, value.Length - start);
    }

    public override void Flush()
    {
        if (_line.Length == 0) return;
        string text = _line.ToString();
        _line.Clear();
        PsHost.Json.Host(_output, text, stream: "console");
    }
}

internal sealed class Host : PSHost
{
    private readonly HostUI _ui;
    private readonly Guid _id = Guid.NewGuid();

    public Host(Output output, int width, bool interactive)
    {
        _ui = new HostUI(output, width, interactive);
    }

    /// <summary>Set by the engine when a script runs `exit N` at top level.</summary>
    public int? ExitCode { get; private set; }

    public HostUI HostUI => _ui;
    public override string Name => "pshost";
    public override Version Version { get; } = typeof(PSObject).Assembly.GetName().Version ?? new Version(7, 6);
    public override Guid InstanceId => _id;
    public override PSHostUserInterface UI => _ui;
    public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;
    public override void SetShouldExit(int exitCode) => ExitCode = exitCode;
    public override void EnterNestedPrompt() => throw HostUI.NonInteractive();
    public override void ExitNestedPrompt() => throw HostUI.NonInteractive();
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }
}

internal sealed class HostUI : PSHostUserInterface
{
    private readonly Output _out;
    private readonly RawUI _raw;

    // Capture (see Capture()): while set, UI text goes into this buffer instead of the output.
    private readonly object _captureLock = new();
    private StringBuilder? _capture;
    private int _captureThread; // 0: text from any thread is captured

    // JSON mode: the information record the engine just announced through WriteInformation. The engine
    // calls WriteInformation for every record, displayed or not, and then, only if displayed
    // (InformationAction Continue, or Write-Host), writes its text with Write/WriteLine. We emit one
    // {"kind":"information"} record for what is displayed, and nothing for the rest, like pwsh shows.
    [ThreadStatic] private static InformationRecord? t_pendingInformation;

    private readonly bool _interactive;

    public HostUI(Output output, int width, bool interactive)
    {
        _out = output;
        _raw = new RawUI(width);
        _interactive = interactive;
    }

    public override PSHostRawUserInterface RawUI => _raw;
    public override bool SupportsVirtualTerminal => !Console.IsOutputRedirected && !_out.Json;
    private bool ErrorSupportsVirtualTerminal => !Console.IsErrorRedirected && !_out.Json;

    public static Exception NonInteractive() => new PSInvalidOperationException(
        "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.");

    /// <summary>Runs <paramref name="action"/> and returns the UI text it produced instead of writing it.
    /// With anyThread=false only text from the calling thread is captured (a nested pipeline on the pipeline
    /// thread); with anyThread=true all of it (a pipeline on the runspace's thread after the run).</summary>
    public string Capture(Action action, bool anyThread)
    {
        var sb = new StringBuilder();
        lock (_captureLock)
        {
            _capture = sb;
            _captureThread = anyThread ? 0 : Environment.CurrentManagedThreadId;
        }
        try { action(); }
        finally
        {
            lock (_captureLock) _capture = null;
        }
        return sb.ToString();
    }

    private bool TryCapture(string text)
    {
        lock (_captureLock)
        {
            if (_capture is null || (_captureThread != 0 && _captureThread != Environment.CurrentManagedThreadId)) return false;
            _capture.Append(text);
            return true;
        }
    }

    // Text for the success stream (Out-Default / Out-Host output and $Host.UI.Write*).
    private void Text(string text)
    {
        // The formatting engine emits ANSI (table headers, error view); like pwsh's console host, strip it
        // unless $PSStyle.OutputRendering and the terminal allow it.
        text = GetOutputString(text, SupportsVirtualTerminal);
        if (TryCapture(text)) return;
        if (!_out.Json)
        {
            _out.Out(text);
            return;
        }
        if (t_pendingInformation is { } info)
        {
            t_pendingInformation = null;
            string message = info.MessageData?.ToString() ?? "";
            if (text == message || text == message + "\n")
            {
                Json.Message(_out, "information", message, info.Tags);
                return;
            }
        }
        Json.Host(_out, text);
    }

    private void Stream(string kind, string prefix, string message)
    {
        t_pendingInformation = null;
        message = GetOutputString(message, SupportsVirtualTerminal);
        if (TryCapture(prefix + message + "\n")) return;
        if (_out.Json) Json.Message(_out, kind, message);
        else _out.Out(prefix + message + "\n");
    }

    public override void Write(string value) => Text(value);
    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Text(value);
    public override void WriteLine(string value) => Text(value + "\n");
    public override void WriteLine() => Text("\n");
    public override void WriteLine(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Text(value + "\n");

    public override void WriteErrorLine(string value)
    {
        t_pendingInformation = null;
        value = GetOutputString(value, ErrorSupportsVirtualTerminal);
        if (TryCapture(value + "\n")) return;
        // In JSON mode error records are reported from the error stream; what reaches here is the engine
        // rendering an error that the script sent to Out-Default/Out-Host itself.
        if (_out.Json) Json.Host(_out, value + "\n", stream: "error");
        else _out.Err(value + "\n");
    }

    public override void WriteVerboseLine(string message) => Stream("verbose", "VERBOSE: ", message);
    public override void WriteWarningLine(string message) => Stream("warning", "WARNING: ", message);
    public override void WriteDebugLine(string message) => Stream("debug", "DEBUG: ", message);

    public override void WriteInformation(InformationRecord record)
    {
        // In text mode nothing to do: the engine itself writes displayed information (Write-Host,
        // -InformationAction Continue) through Write/WriteLine.
        if (_out.Json) t_pendingInformation = record;
    }

    public override void WriteProgress(long sourceId, ProgressRecord record) { /* non-interactive: not shown */ }

    // Prompts, like pwsh's console host: with -NonInteractive each one throws; otherwise the question is
    // written to the output and the answer read from stdin (a line), which is what pwsh does when its stdin is
    // redirected. A closed stdin is an error rather than an endless prompt.
    public override string ReadLine() => ReadAnswer();

    public override SecureString ReadLineAsSecureString()
    {
        var secure = new SecureString();
        foreach (char c in ReadAnswer()) secure.AppendChar(c);
        secure.MakeReadOnly();
        return secure;
    }

    public override Dictionary<string, PSObject> Prompt(string caption, string message, System.Collections.ObjectModel.Collection<FieldDescription> descriptions)
    {
        CheckInteractive();
        WriteCaption(caption, message);
        var answers = new Dictionary<string, PSObject>();
        foreach (var field in descriptions)
        {
            Text($"{field.Name}: ");
            answers[field.Name] = PSObject.AsPSObject(ReadAnswer());
        }
        return answers;
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        PromptForCredential(caption, message, userName, targetName, PSCredentialTypes.Default, PSCredentialUIOptions.Default);

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
    {
        CheckInteractive();
        WriteCaption(caption, message);
        if (string.IsNullOrEmpty(userName))
        {
            Text("User: ");
            userName = ReadAnswer();
        }
        Text($"Password for user {userName}: ");
        return new PSCredential(userName, ReadLineAsSecureString());
    }

    public override int PromptForChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice)
    {
        CheckInteractive();
        WriteCaption(caption, message);
        var hotkeys = choices.Select(c => Hotkey(c.Label)).ToArray();
        var line = new StringBuilder();
        for (int i = 0; i < choices.Count; i++)
            line.Append('[').Append(hotkeys[i]).Append("] ").Append(choices[i].Label.Replace("&", "")).Append("  ");
        line.Append("[?] Help");
        if (defaultChoice >= 0 && defaultChoice < choices.Count) line.Append($" (default is \"{hotkeys[defaultChoice]}\")");
        line.Append(": ");
        while (true)
        {
            Text(line.ToString());
            string answer = ReadAnswer().Trim();
            if (answer.Length == 0 && defaultChoice >= 0) return defaultChoice;
            if (answer == "?")
            {
                for (int i = 0; i < choices.Count; i++) Text($"{hotkeys[i]} - {choices[i].HelpMessage}\n");
                continue;
            }
            for (int i = 0; i < choices.Count; i++)
            {
                if (string.Equals(answer, hotkeys[i], StringComparison.OrdinalIgnoreCase)
                    || string.Equals(answer, choices[i].Label.Replace("&", ""), StringComparison.OrdinalIgnoreCase))
                    return i;
            }
        }
    }

    private void CheckInteractive()
    {
        if (!_interactive) throw NonInteractive();
    }

    private void WriteCaption(string caption, string message)
    {
        if (!string.IsNullOrEmpty(caption)) Text(caption + "\n");
        if (!string.IsNullOrEmpty(message)) Text(message + "\n");
    }

    private string ReadAnswer()
    {
        CheckInteractive();
        return Console.In.ReadLine()
            ?? throw new PSInvalidOperationException("pshost: stdin is closed, so the prompt cannot be answered.");
    }

    /// <summary>The letter after '&amp;' in a choice label, else its first letter (as pwsh shows them).</summary>
    private static string Hotkey(string label)
    {
        int amp = label.IndexOf('&');
        if (amp >= 0 && amp + 1 < label.Length) return char.ToUpperInvariant(label[amp + 1]).ToString();
        return label.Length > 0 ? char.ToUpperInvariant(label[0]).ToString() : "?";
    }
}

/// <summary>A fixed-size "console": the width is what the formatting engine uses for tables and wrapping
/// (-Width, else the terminal's, else 120). There is no screen buffer.</summary>
internal sealed class RawUI : PSHostRawUserInterface
{
    private const int Height = 9999;
    private readonly int _width;

    public RawUI(int width) => _width = width;

    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
    public override Coordinates CursorPosition { get; set; }
    public override Coordinates WindowPosition { get; set; }
    public override int CursorSize { get; set; } = 25;
    public override Size BufferSize { get => new(_width, Height); set { } }
    public override Size WindowSize { get => new(_width, Height); set { } }
    public override Size MaxWindowSize => new(_width, Height);
    public override Size MaxPhysicalWindowSize => new(_width, Height);
    public override string WindowTitle { get; set; } = "pshost";
    public override bool KeyAvailable => false;
    public override KeyInfo ReadKey(ReadKeyOptions options) => throw new PSNotImplementedException("pshost has no keyboard: stdin is read a line at a time.");
    public override void FlushInputBuffer() { }
    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException("pshost has no screen buffer.");
    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) => throw new NotSupportedException("pshost has no screen buffer.");
    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) => throw new NotSupportedException("pshost has no screen buffer.");
    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) => throw new NotSupportedException("pshost has no screen buffer.");
}
