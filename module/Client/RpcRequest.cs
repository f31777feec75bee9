using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace AzTokenBridge.Client;

/// <summary>
/// A request sent to the server. Completed once, by the connection's reader: with its result, an
/// error answer (Error), or a lost connection (Failure). Wait in slices (Wait(100)) from the
/// caller's own thread, so that a stop gets through between them.
/// </summary>
public sealed class RpcRequest
{
    private readonly TaskCompletionSource<RpcRequest> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<RpcNotification> _notifications = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ServerConnection _connection;
    private TimeSpan _elapsed;
    private int _completed;
    private volatile bool _cancelRequested;

    internal RpcRequest(ServerConnection connection, long id, string method)
    {
        _connection = connection;
        Id = id;
        Method = method;
    }

    public long Id { get; }
    public string Method { get; }
    public ServerConnection Connection => _connection;

    public bool IsCompleted => _done.Task.IsCompleted;
    /// <summary>Completes (never faults) when the request is finished, however it finished.</summary>
    public Task<RpcRequest> Completion => _done.Task;
    /// <summary>Signalled when the request is finished (WaitHandle.WaitAny over several).</summary>
    public WaitHandle WaitHandle => ((IAsyncResult)_done.Task).AsyncWaitHandle;

    /// <summary>Waits at most this long; whether the request is finished.</summary>
    public bool Wait(int milliseconds) => _done.Task.Wait(milliseconds);
    public bool Wait(TimeSpan timeout) => _done.Task.Wait(timeout);

    /// <summary>From sending until it finished (or until now, while in flight).</summary>
    public TimeSpan Elapsed => IsCompleted ? _elapsed : _clock.Elapsed;

    /// <summary>Finished with a result: no Error and no Failure.</summary>
    public bool Succeeded => IsCompleted && Error is null && Failure is null;
    /// <summary>The result (a cloned element: valid for the life of this object), or null.</summary>
    public JsonElement? Result { get; private set; }
    /// <summary>The result as JSON text, or null.</summary>
    public string? ResultJson => Result?.GetRawText();
    /// <summary>The server's error answer, or null.</summary>
    public RpcError? Error { get; private set; }
    /// <summary>The connection was lost (a ServerConnectionException), or null.</summary>
    public Exception? Failure { get; private set; }
    /// <summary>Cancel() was called.</summary>
    public bool CancelRequested => _cancelRequested;

    /// <summary>
    /// The message sent (UTF-8 JSON, without its header), when the request was sent with
    /// keepMessages (for a -Debug trace); else null.
    /// </summary>
    public byte[]? RequestJson { get; internal set; }
    /// <summary>The server's answer as it came (JSON text), when sent with keepMessages; else null.</summary>
    public string? ResponseJson { get; private set; }
    internal bool KeepMessages { get; set; }

    /// <summary>
    /// Tells the server to drop the request ($/cancelRequest). The request stays in flight until
    /// the server answers (RequestCancelled, -32800, or its result if it was done first). Never throws.
    /// </summary>
    public void Cancel()
    {
        if (IsCompleted) return;
        _cancelRequested = true;
        _connection.SendCancel(Id);
    }

    /// <summary>Whether a notification is queued for this request (cheaper than dequeuing, for a caller that polls many).</summary>
    public bool HasNotifications => !_notifications.IsEmpty;

    /// <summary>The oldest notification the server sent for this request (params.requestId = Id), or null.</summary>
    public RpcNotification? DequeueNotification() => _notifications.TryDequeue(out var n) ? n : null;

    internal void Enqueue(RpcNotification n) => ServerConnection.Enqueue(_notifications, n);

    internal void CompleteWith(JsonElement response)
    {
        if (response.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
        {
            CompleteWithError(RpcError.From(error, unattributed: false), response);
            return;
        }
        JsonElement? result = response.TryGetProperty("result", out var r) ? r.Clone() : null;
        var raw = KeepMessages ? response.GetRawText() : null;
        Complete(() => { Result = result; ResponseJson = raw; });
    }

    internal void CompleteWithError(RpcError error, JsonElement response)
    {
        var raw = KeepMessages ? response.GetRawText() : null;
        Complete(() => { Error = error; ResponseJson = raw; });
    }

    internal void CompleteWithFailure(Exception failure) => Complete(() => Failure = failure);

    private void Complete(Action set)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        _elapsed = _clock.Elapsed;
        set();
        _done.TrySetResult(this);
    }

    public override string ToString() => $"{Method} #{Id}";
}

/// <summary>A JSON-RPC error answer.</summary>
public sealed class RpcError
{
    private RpcError(int code, string message, JsonElement? data, bool unattributed)
    {
        Code = code;
        Message = message;
        Data = data;
        Unattributed = unattributed;
    }

    public int Code { get; }
    public string Message { get; }
    /// <summary>The error's data (src/protocol.ts ErrorData), a cloned element, or null.</summary>
    public JsonElement? Data { get; }
    public string? DataJson => Data?.GetRawText();
    /// <summary>
    /// The answer had a null id (the server could not read which request it was): every request in
    /// flight got it, this one among them.
    /// </summary>
    public bool Unattributed { get; }

    internal static RpcError From(JsonElement error, bool unattributed)
    {
        var code = 0;
        var message = "";
        JsonElement? data = null;
        if (error.ValueKind == JsonValueKind.Object)
        {
            if (error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number && !c.TryGetInt32(out code)) code = 0;
            if (error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) message = m.GetString() ?? "";
            if (error.TryGetProperty("data", out var d) && d.ValueKind != JsonValueKind.Null) data = d.Clone();
        }
        else
        {
            message = "The server answered with an error that is not an object: " + error.GetRawText();
        }
        return new RpcError(code, message, data, unattributed);
    }

    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>A notification from the server (a message with a method and no id).</summary>
public sealed class RpcNotification
{
    internal RpcNotification(string method, JsonElement? parameters, long? requestId)
    {
        Method = method;
        Params = parameters;
        RequestId = requestId;
    }

    public string Method { get; }
    /// <summary>Its params (a cloned element), or null.</summary>
    public JsonElement? Params { get; }
    public string? ParamsJson => Params?.GetRawText();
    /// <summary>params.requestId when it is a number: the request it is about.</summary>
    public long? RequestId { get; }

    public override string ToString() => Method;
}

/// <summary>How a connection failed (ServerConnectionException.Kind).</summary>
public enum ServerFailureKind
{
    /// <summary>The server exited (its output ended).</summary>
    Exited,
    /// <summary>The server stopped answering (liveness timeout, or a partial frame held that long); it was killed.</summary>
    Unresponsive,
    /// <summary>The server broke the protocol (a frame that is not a frame, or not JSON); it was killed.</summary>
    ProtocolError,
    /// <summary>The connection was closed on this side (Dispose).</summary>
    Closed,
    /// <summary>The request was not sent: the connection was dead already, or writing failed.</summary>
    NotSent,
}

/// <summary>The connection to the server was lost; Message names the cause.</summary>
public sealed class ServerConnectionException : System.IO.IOException
{
    internal ServerConnectionException(string message, ServerFailureKind kind, int processId, int? exitCode, bool requestSent, Exception? inner)
        : base(message, inner)
    {
        Kind = kind;
        ProcessId = processId;
        ExitCode = exitCode;
        RequestSent = requestSent;
    }

    public ServerFailureKind Kind { get; }
    public int ProcessId { get; }
    public int? ExitCode { get; }
    /// <summary>False: the server never got the request (nothing was done; it may be sent again).</summary>
    public bool RequestSent { get; }
}

/// <summary>A request over the server's limit, refused before anything was sent.</summary>
public sealed class RpcMessageTooLargeException : InvalidOperationException
{
    internal RpcMessageTooLargeException(string method, long size, long limit)
        : base($"The request {method} is {size} bytes, over the AzTokenBridge server's limit of {limit} bytes; it was not sent.")
    {
        Method = method;
        Size = size;
        Limit = limit;
    }

    public string Method { get; }
    /// <summary>Bytes of the message (or of its params alone, when they are over the limit already).</summary>
    public long Size { get; }
    public long Limit { get; }
}
