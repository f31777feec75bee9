// The PSHost, its UI and RawUI: a non-interactive console host like `pwsh -NonInteractive`.
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace PsHost;

/// <summary>Where the UI sends what it is given: plain text (like pwsh) or JSON records.</summary>
internal sealed class Output
{
    private readonly object _lock = new();
    private readonly Stream _stdout = Console.OpenStandardOutput();
    private readonly Stream _stderr = Console.OpenStandardError();
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public bool Json { get; init; }

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

internal sealed class Host : PSHost
{
    private readonly HostUI _ui;
    private readonly Guid _id = Guid.NewGuid();

    public Host(Output output, int width)
    {
        _ui = new HostUI(output, width);
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

    /// <summary>When set on a thread, everything the UI is given on that thread goes here instead (used to
    /// capture the engine's rendering of an error record for the JSON "rendered" field).</summary>
    [ThreadStatic] private static StringBuilder? t_capture;

    public HostUI(Output output, int width)
    {
        _out = output;
        _raw = new RawUI(width);
    }

    public override PSHostRawUserInterface RawUI => _raw;
    public override bool SupportsVirtualTerminal => !Console.IsOutputRedirected && !_out.Json;

    public static Exception NonInteractive() => new PSInvalidOperationException(
        "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.");

    /// <summary>Runs <paramref name="action"/> with this thread's UI output captured, and returns the text.</summary>
    public static string Capture(Action action)
    {
        var previous = t_capture;
        var sb = t_capture = new StringBuilder();
        try { action(); }
        finally { t_capture = previous; }
        return sb.ToString();
    }

    // Text for the success stream (Out-Default / Out-Host output and $Host.UI.Write*).
    private void Text(string text)
    {
        // The formatting engine emits ANSI (table headers, error view); like pwsh's console host, strip it
        // here unless $PSStyle.OutputRendering and the terminal allow it.
        text = GetOutputString(text, SupportsVirtualTerminal);
        if (t_capture is { } sb) { sb.Append(text); return; }
        if (_out.Json) Json.Host(_out, text);
        else _out.Out(text);
    }

    private void Stream(string kind, string prefix, string message)
    {
        message = GetOutputString(message, SupportsVirtualTerminal);
        if (t_capture is { } sb) { sb.Append(prefix).Append(message).Append('\n'); return; }
        if (_out.Json) Json.Message(_out, kind, message);
        else _out.Out(prefix + message + "\n");
    }

    public override void Write(string value) => Text(value);
    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Text(value);
    public override void WriteLine(string value) => Text(value + "\n");

    public override void WriteErrorLine(string value)
    {
        value = GetOutputString(value, SupportsVirtualTerminal);
        if (t_capture is { } sb) { sb.Append(value).Append('\n'); return; }
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
        // The engine itself writes displayed information records (Write-Host, -InformationAction Continue)
        // through Write/WriteLine; this call is for hosts that want the record. Only JSON mode uses it.
        if (_out.Json && t_capture is null) Json.Message(_out, "information", record.MessageData?.ToString() ?? "");
    }

    public override void WriteProgress(long sourceId, ProgressRecord record) { /* non-interactive: ignored */ }

    public override string ReadLine() => throw NonInteractive();
    public override SecureString ReadLineAsSecureString() => throw NonInteractive();
    public override Dictionary<string, PSObject> Prompt(string caption, string message, System.Collections.ObjectModel.Collection<FieldDescription> descriptions) => throw NonInteractive();
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw NonInteractive();
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw NonInteractive();
    public override int PromptForChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice) => throw NonInteractive();
}

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
    public override KeyInfo ReadKey(ReadKeyOptions options) => throw HostUI.NonInteractive();
    public override void FlushInputBuffer() { }
    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException("pshost has no screen buffer.");
    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) => throw new NotSupportedException("pshost has no screen buffer.");
    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) => throw new NotSupportedException("pshost has no screen buffer.");
    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) => throw new NotSupportedException("pshost has no screen buffer.");
}
