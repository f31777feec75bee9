using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Text.Json;

namespace AzTokenBridge.Client;

/// <summary>
/// One input of a cmdlet, sent (or refused before sending) and, once taken from the window,
/// answered: its Result (PowerShell values) or its Failure, or the ErrorRecord it was refused with.
/// </summary>
public sealed class CallItem
{
    internal CallItem(object? state, RpcRequest? request, Exception? failure, ErrorRecord? errorRecord)
    {
        State = state;
        Request = request;
        Failure = failure;
        ErrorRecord = errorRecord;
    }

    /// <summary>What the cmdlet kept of the input, for its writer.</summary>
    public object? State { get; }
    /// <summary>The method's result as PowerShell values (PSJson.ToPS), once answered.</summary>
    public object? Result { get; internal set; }
    /// <summary>
    /// Why the call failed, or null. A JSON-RPC error answer is an InvalidOperationException whose
    /// Data["AzTokenBridge.RpcError"] holds { code; message; data } (module/Private/Errors.ps1 reads it).
    /// </summary>
    public Exception? Failure { get; internal set; }
    /// <summary>Refused before any call: the error to write in this input's place.</summary>
    public ErrorRecord? ErrorRecord { get; }

    internal RpcRequest? Request { get; set; }
    internal ProgressRecord? Progress { get; set; }
}

/// <summary>
/// The tables -Debug redacts with (PSJson.Redact), made once from src/protocol.ts's through
/// module/Private/Protocol.generated.ps1.
/// </summary>
public sealed class DebugRedaction
{
    private readonly ISet<string> _visible;
    private readonly string[] _prefixes;
    private readonly ISet<string> _url;

    public DebugRedaction(ISet<string> visibleFields, string[] visiblePrefixes, ISet<string> urlFields)
    {
        _visible = visibleFields;
        _prefixes = visiblePrefixes;
        _url = urlFields;
    }

    public string Redact(byte[] json) => PSJson.Redact(json, _visible, _prefixes, _url);
    public string Redact(string json) => PSJson.Redact(json, _visible, _prefixes, _url);
}

/// <summary>
/// The server's notification methods (src/protocol.ts NOTIFICATION_METHODS, through
/// module/Private/Protocol.generated.ps1 $script:NotificationMethods).
/// </summary>
public sealed class NotificationMethods
{
    public NotificationMethods(IDictionary table)
    {
        Progress = (string?)table["Progress"] ?? "";
        Warning = (string?)table["Warning"] ?? "";
        Verbose = (string?)table["Verbose"] ?? "";
        Debug = (string?)table["Debug"] ?? "";
    }

    public string Progress { get; }
    public string Warning { get; }
    public string Verbose { get; }
    public string Debug { get; }
}

/// <summary>
/// The calls of one cmdlet invocation: up to Limit inputs in flight at once, answered in input
/// order (module/Private/Window.ps1 drives it from the cmdlet's begin/process/end/clean).
///
/// - Send posts an input's request and queues it; AddError queues an input refused before any
///   call. TakeReady hands back, in order, the inputs finished at the head of the window (a
///   finished input behind an unfinished one waits). WaitForRoom and WaitNext wait, in 100 ms
///   slices, for the head.
/// - The window never writes an object or an error: the inputs it hands back are written by the
///   cmdlet's script, as the function's own output (issue Z item 2: an exception thrown by a later
///   pipeline stage must come back out of the cmdlet as that stage's exception; through a .NET
///   WriteObject it would arrive as a MethodInvocationException). It writes the other streams:
///   the server's notifications (progress, warnings, trace lines), the module's trace lines and,
///   under -Debug, each message redacted.
/// - Everything is written from the cmdlet's pipeline thread, inside its calls: the connection's
///   reader thread only queues (RpcRequest.Enqueue).
/// - A stop (Ctrl+C, a downstream Select-Object -First) is seen between wait slices
///   (Cmdlet.Stopping): the wait returns with nothing, the script's loop goes round and the engine
///   stops it there; `clean` calls Stop, which cancels what is in flight ($/cancelRequest).
/// </summary>
public sealed class CallWindow
{
    private const int WaitSliceMilliseconds = 100;
    private static readonly CallItem[] None = Array.Empty<CallItem>();

    private readonly PSCmdlet? _cmdlet;
    private readonly Queue<CallItem> _queue = new();
    private readonly NotificationMethods _methods;
    private readonly DebugRedaction? _redaction;
    private readonly bool _debugOn;
    private readonly bool _traceShown;
    private ProgressRecord? _progress;

    /// <param name="cmdlet">The cmdlet the window writes for; null (argument completers) writes nothing.</param>
    /// <param name="limit">Inputs in flight at most (1 for a single call).</param>
    /// <param name="writer">The cmdlet's writer (a script block the window's script calls for each item).</param>
    /// <param name="progressCount">With piped inputs, the progress bar says "(written of taken &lt;progressCount&gt;)".</param>
    /// <param name="debugOn">The cmdlet shows debug output ($DebugPreference as the cmdlet sees it).</param>
    /// <param name="verboseOn">The cmdlet shows verbose output ($VerbosePreference as the cmdlet sees it).</param>
    /// <param name="redaction">The -Debug tables; needed when debugOn.</param>
    public CallWindow(PSCmdlet? cmdlet, int limit, object? writer, string? progressCount, bool debugOn, bool verboseOn, NotificationMethods methods, DebugRedaction? redaction)
    {
        _cmdlet = cmdlet;
        Limit = Math.Max(1, limit);
        Writer = writer;
        ProgressCount = string.IsNullOrEmpty(progressCount) ? null : progressCount;
        _methods = methods;
        _debugOn = cmdlet is not null && debugOn && redaction is not null;
        _redaction = redaction;
        // The server sends its trace lines (one per HTTP request) only when they can show.
        TraceRequested = cmdlet is not null && (debugOn || verboseOn);
        var bound = cmdlet?.MyInvocation.BoundParameters;
        _traceShown = cmdlet is not null && (debugOn || verboseOn || bound!.ContainsKey("Verbose") || bound.ContainsKey("Debug"));
    }

    public int Limit { get; }
    public object? Writer { get; }
    public string? ProgressCount { get; }
    /// <summary>Whether the calls ask the server for its trace lines (src/protocol.ts CallContext.trace).</summary>
    public bool TraceRequested { get; }
    /// <summary>Inputs taken (sent or refused) and handed back so far.</summary>
    public int Added { get; private set; }
    public int Written { get; private set; }
    /// <summary>Inputs in the window (in flight, or finished behind the head).</summary>
    public int Count => _queue.Count;
    public bool HasRoom => _queue.Count < Limit;

    /// <summary>
    /// Sends an input's request on <paramref name="connection"/> and queues it with its state:
    /// the call context (with trace set as the cmdlet shows it) goes in params.context. Returns
    /// false, queuing nothing, when the server did not take the request (it died before: nothing
    /// was done) and <paramref name="lastAttempt"/> is false, so the caller may start a new
    /// server and send again; otherwise true, the request queued (finished with its Failure when
    /// it could not be sent).
    /// </summary>
    public bool Send(ServerConnection connection, string method, IDictionary parameters, IDictionary callContext, object? state, bool lastAttempt)
    {
        if (TraceRequested) callContext["trace"] = true;
        else if (callContext.Contains("trace")) callContext.Remove("trace");
        parameters["context"] = callContext;
        var body = PSJson.Serialize(parameters);
        var request = connection.Post(method, body, _debugOn);
        if (!lastAttempt && request.Failure is ServerConnectionException { RequestSent: false }) return false;
        if (_debugOn && request.RequestJson is { } sent) _cmdlet!.WriteDebug("AzTokenBridge → " + _redaction!.Redact(sent));
        _queue.Enqueue(new CallItem(state, request, null, null));
        Added++;
        return true;
    }

    /// <summary>Queues an input whose call could not be made (no call context, no server): its Failure.</summary>
    public void AddFailure(Exception failure, object? state)
    {
        _queue.Enqueue(new CallItem(state, null, failure, null));
        Added++;
    }

    /// <summary>Queues an input refused before any call: its ErrorRecord is written in its place among the others.</summary>
    public void AddError(ErrorRecord errorRecord)
    {
        _queue.Enqueue(new CallItem(null, null, null, errorRecord));
        Added++;
    }

    /// <summary>
    /// Writes the server's notifications about the inputs in flight, then hands back the inputs
    /// finished at the head, in order, each completed (Result or Failure). Does not wait.
    /// </summary>
    public CallItem[] TakeReady()
    {
        foreach (var item in _queue)
        {
            if (item.Request is { HasNotifications: true } r) WriteNotifications(r);
        }
        List<CallItem>? ready = null;
        while (_queue.Count > 0)
        {
            var head = _queue.Peek();
            if (head.Request is { } request)
            {
                if (!request.IsCompleted) break;
                Finish(head, request);
            }
            _queue.Dequeue();
            Written++;
            // The last one in flight: the progress bar is done before it is written.
            if (_queue.Count == 0 && _progress is not null)
            {
                CompleteProgress(_progress);
                _progress = null;
            }
            (ready ??= new List<CallItem>()).Add(head);
        }
        return ready is null ? None : ready.ToArray();
    }

    /// <summary>
    /// Before sending: the inputs finished at the head, or, when none is, waits (writing
    /// notifications) until the head finishes or there is room. Returns nothing when there is
    /// room (or the cmdlet is stopping); the caller loops while it returns items.
    /// </summary>
    public CallItem[] WaitForRoom()
    {
        while (true)
        {
            var ready = TakeReady();
            if (ready.Length > 0 || HasRoom) return ready;
            if (!WaitHead()) return None;
        }
    }

    /// <summary>
    /// At the end of the input: the next inputs finished at the head, waiting for the head when
    /// it is still in flight. Returns nothing once the window is empty (or the cmdlet is stopping:
    /// the caller loops while Count is above 0, and the engine stops the loop).
    /// </summary>
    public CallItem[] WaitNext()
    {
        while (true)
        {
            var ready = TakeReady();
            if (ready.Length > 0 || _queue.Count == 0) return ready;
            if (!WaitHead()) return None;
        }
    }

    /// <summary>`clean`: cancels every input still in flight (nothing after a normal end).</summary>
    public void Stop()
    {
        while (_queue.Count > 0)
        {
            var item = _queue.Dequeue();
            item.Request?.Cancel();
        }
    }

    /// <summary>One wait slice for the head; false when the cmdlet is stopping.</summary>
    private bool WaitHead()
    {
        if (_cmdlet is not null && _cmdlet.Stopping) return false;
        _queue.Peek().Request?.Wait(WaitSliceMilliseconds);
        return _cmdlet is null || !_cmdlet.Stopping;
    }

    /// <summary>An answered request → the item's Result or Failure, with its trace and debug lines.</summary>
    private void Finish(CallItem item, RpcRequest request)
    {
        item.Request = null;
        if (request.HasNotifications) WriteNotifications(request);
        var elapsed = Math.Round(request.Elapsed.TotalMilliseconds, 1).ToString(CultureInfo.InvariantCulture);
        // What the server said about its own settings at start (a refused log file): once, as a warning.
        var server = request.Connection;
        while (_cmdlet is not null && server.TryDequeueNotice(out var notice))
        {
            WriteWarning(_cmdlet, $"AzTokenBridge server (process {server.ProcessId}): {notice}");
        }
        if (request.Failure is { } failure)
        {
            Trace(_cmdlet, $"AzTokenBridge: {request.Method} failed in {elapsed} ms.");
            item.Failure = failure;
            return;
        }
        if (_debugOn && request.ResponseJson is { } answer) _cmdlet!.WriteDebug("AzTokenBridge ← " + _redaction!.Redact(answer));
        if (request.Error is { } error)
        {
            Trace(_cmdlet, $"AzTokenBridge: {request.Method} failed in {elapsed} ms.");
            var details = new PSObject();
            details.Properties.Add(new PSNoteProperty("code", (long)error.Code));
            details.Properties.Add(new PSNoteProperty("message", error.Message));
            details.Properties.Add(new PSNoteProperty("data", PSJson.ToPS(error.Data)));
            var ex = new InvalidOperationException(error.Message);
            ex.Data["AzTokenBridge.RpcError"] = details;
            item.Failure = ex;
            return;
        }
        if (_traceShown) Trace(_cmdlet, $"AzTokenBridge: {request.Method} completed in {elapsed} ms.");
        item.Result = PSJson.ToPS(request.Result);
    }

    /// <summary>
    /// The server's notifications about a request (src/protocol.ts, "Notifications"), queued for
    /// it by the reader thread: progress to the progress stream (activity 1; piped inputs share
    /// one bar, kept to be completed when the window empties), a warning to the warning stream,
    /// trace lines to verbose and debug. Without a cmdlet they are dropped.
    /// </summary>
    private void WriteNotifications(RpcRequest request)
    {
        var n = request.DequeueNotification();
        while (n is not null)
        {
            if (_cmdlet is not null) WriteNotification(_cmdlet, n);
            n = request.DequeueNotification();
        }
    }

    private void WriteNotification(PSCmdlet cmdlet, RpcNotification n)
    {
        string? message = null;
        if (n.Params is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
        {
            message = m.GetString();
        }
        if (n.Method == _methods.Warning) { if (message is not null) WriteWarning(cmdlet, message); }
        else if (n.Method == _methods.Verbose) { if (message is not null) Trace(cmdlet, message); }
        else if (n.Method == _methods.Debug) { if (message is not null) cmdlet.WriteDebug(message); }
        else if (n.Method == _methods.Progress && n.Params is { ValueKind: JsonValueKind.Object } progress)
        {
            var record = new ProgressRecord(1, Text(progress, "activity") ?? "", Text(progress, "status") ?? "");
            var operation = Text(progress, "currentOperation");
            if (!string.IsNullOrEmpty(operation)) record.CurrentOperation = operation;
            if (progress.TryGetProperty("percent", out var percent) && percent.ValueKind == JsonValueKind.Number) record.PercentComplete = (int)Math.Round(percent.GetDouble());
            // Piped inputs share one progress bar: the count says how far the pipeline is.
            if (Added > 1 && ProgressCount is not null) record.CurrentOperation = $"{record.CurrentOperation} ({Written} of {Added} {ProgressCount})".TrimStart();
            _progress = record;
            cmdlet.WriteProgress(record);
        }
    }

    private static string? Text(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? (v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()) : null;

    /// <summary>Ends a progress bar written from notifications (RecordType Completed).</summary>
    private void CompleteProgress(ProgressRecord record)
    {
        if (_cmdlet is null) return;
        var done = new ProgressRecord(record.ActivityId, record.Activity, "Completed") { RecordType = ProgressRecordType.Completed };
        _cmdlet.WriteProgress(done);
    }

    /// <summary>
    /// The module's trace lines ("AzTokenBridge: &lt;method&gt; completed in N ms."): verbose output,
    /// shown by -Verbose or $VerbosePreference, and by -Debug.
    ///
    /// -Debug without -Verbose needs care: the engine then answers every WriteVerbose with an
    /// Inquire prompt whenever the host has a UI (MshCommandRuntime.VerbosePreference), so pwsh
    /// would ask "Continue with this operation?" at each line, and under -NonInteractive
    /// WriteVerbose throws. In that case the line goes to the debug stream, which -Debug turned
    /// on, and no prompt is made.
    /// </summary>
    public static void Trace(PSCmdlet? cmdlet, string message)
    {
        if (cmdlet is null) return;
        if (DebugWithout(cmdlet, "Verbose")) cmdlet.WriteDebug(message);
        else cmdlet.WriteVerbose(message);
    }

    /// <summary>
    /// A warning the user must see while the cmdlet waits (the device code message, the browser
    /// notices). Under -Debug without -WarningAction the engine makes every WriteWarning an
    /// Inquire prompt, which would hold up the sign-in it announces, and throws under
    /// -NonInteractive; so there the message goes to the debug stream, prefixed "WARNING: ".
    /// </summary>
    public static void WriteWarning(PSCmdlet cmdlet, string message)
    {
        if (DebugWithout(cmdlet, "WarningAction")) cmdlet.WriteDebug("WARNING: " + message);
        else cmdlet.WriteWarning(message);
    }

    /// <summary>-Debug given (and on) and <paramref name="parameter"/> not given.</summary>
    private static bool DebugWithout(PSCmdlet cmdlet, string parameter)
    {
        var bound = cmdlet.MyInvocation.BoundParameters;
        if (bound.ContainsKey(parameter) || !bound.TryGetValue("Debug", out var debug)) return false;
        if (debug is PSObject wrapped) debug = wrapped.BaseObject;
        return debug is SwitchParameter { IsPresent: true } || debug is true;
    }
}
