// AzTokenBridge.Client: the module's side of the connection to the AzTokenBridge server, compiled
// (issue K): the transport the module's script had. It keeps one long-lived server process per
// PowerShell process, spoken to over its stdio with JSON-RPC 2.0 and Content-Length framing. It holds plain .NET types only (no
// System.Management.Automation): JSON bytes in, JSON (JsonElement / text) out.
//
// Types
//   ServerStartInfo            what to start: file name, arguments, working directory, and the
//                              environment allow-list (names and `*` prefixes, any case)
//   ServerConnection           one server process and its connection:
//                                GetOrStart(info)      the process-wide connection (started, or
//                                                      started again when the last one died)
//                                Start(info)           a connection of its own (not shared)
//                                SendRequest(method, paramsJson) → RpcRequest
//                                Post(method, paramsJson, keepMessages) → RpcRequest: as
//                                                      SendRequest, but a request that is not sent
//                                                      comes back finished with its Failure
//                                                      (for script callers: nothing to catch)
//                                SendNotification(method, paramsJson)
//                                WriteFrame(body)      one frame with any body (tests, diagnostics)
//                                DequeueNotification() notifications for no request in flight
//                                IsAlive, HasExited, DeathReason, ProcessId, GetStderrTail(), TryDequeueNotice(), Dispose()
//                                StopShared()          ends the process-wide server (module removal)
//   RpcRequest                 a request in flight: Id, Wait(ms) in slices, WaitHandle, Completion,
//                              then Result / ResultJson, or Error (RpcError), or Failure (an
//                              exception: the connection was lost); Cancel() sends $/cancelRequest;
//                              RequestJson / ResponseJson the messages as sent and received (when
//                              sent with keepMessages: -Debug);
//                              DequeueNotification() its own notifications
//   RpcError                   a JSON-RPC error answer: Code, Message, Data / DataJson, Unattributed
//   RpcNotification            a notification from the server: Method, Params / ParamsJson, RequestId
//   ServerConnectionException  (an IOException) the server exited, stopped answering, broke the
//                              protocol, was closed, or did not take a request: Kind, ProcessId,
//                              ExitCode, RequestSent
//   RpcMessageTooLargeException a request over the server's limit (16 MiB), refused before sending
//
// How it behaves (as the module's script transport did before it; the messages are the same):
// - Process-wide: GetOrStart keeps the connection in a static field, so every runspace of the
//   process (ForEach-Object -Parallel, jobs) that loaded this assembly shares one server.
// - Writes: whole frames (`Content-Length: N\r\n\r\n` + UTF-8 JSON) under a write lock, so frames
//   never interleave. A request whose body is over MaxMessageBytes (the server's own limit, which it
//   would answer with -32600 and a null id) is refused before anything is written.
// - Reads: one background thread reads stdout with blocking reads, matches each response to its
//   request by id, and completes it; a second (the watchdog) keeps the liveness rules below; a
//   third drains stderr into a tail of the last lines, kept for error messages. Nothing here ever
//   calls into PowerShell: callers wait on a request in slices (Wait(100)) from their own
//   pipeline thread, and write objects and errors there.
// - An error answer with a null id (the server could not tell which request it answers: a body
//   that is not JSON, a frame over its limit) fails every request in flight with that error
//   (RpcError.Unattributed), since any of them may be the one.
// - Notifications (a `method` without `id`): when params.requestId is a number equal to the id of a
//   request in flight, they are queued on that request; otherwise on the connection. Each queue
//   keeps the last NotificationQueueLimit. The server sends progress, warnings and trace lines this
//   way (src/protocol.ts, "Notifications"; src/rpc/notify.ts), written by CallWindow.cs.
// - Liveness: while a request waits and nothing has come from the server for the probe interval
//   (half the timeout, at most 5 s), the reader sends one `bridge/hello`; any message counts as
//   life. No message within the timeout after the probe (or the probe cannot even be written), or
//   a partial frame held for the timeout: the server is unresponsive. The timeout is
//   AZTOKENBRIDGE_TIMEOUT_SECONDS (default 30, a number > 0), read at each check (at most every
//   100 ms, and only while a request waits or a partial frame is held).
// - Death: unresponsive or a broken frame → the process tree is killed. Exited (stdout ended),
//   killed, or closed: the connection is dead (IsAlive false, DeathReason set) and every request
//   in flight fails with one ServerConnectionException naming the cause, the exit code and the
//   stderr tail. The next GetOrStart starts a new server.
// - Lifetime: the server exits when its stdin closes: Dispose closes it (then waits at most 2 s
//   and kills the tree), and so does the OS when the process exits. All three are background
//   threads: nothing here keeps pwsh from exiting.
using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Linq;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace AzTokenBridge.Client;

/// <summary>What to start: the server's command line, working directory and environment.</summary>
public sealed class ServerStartInfo
{
    public ServerStartInfo() { }

    public ServerStartInfo(string fileName, string[]? arguments = null)
    {
        FileName = fileName;
        Arguments = arguments ?? Array.Empty<string>();
    }

    public string FileName { get; set; } = "";
    public string[] Arguments { get; set; } = Array.Empty<string>();
    /// <summary>The server's working directory; null or empty: this process's.</summary>
    public string? WorkingDirectory { get; set; }
    /// <summary>
    /// The variables of this process the server starts with (src/protocol.ts
    /// SERVER_START_VARIABLES): names, or prefixes ending in `*`, matched in any case. Every other
    /// variable is left out. Null: all of them (tests only).
    /// </summary>
    public string[]? EnvironmentAllowList { get; set; }
}

public sealed class ServerConnection : IDisposable
{
    /// <summary>The largest body the server takes (src/rpc/reader.ts MAX_CONTENT_LENGTH).</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;
    /// <summary>Lines of the server's stderr kept for error messages.</summary>
    public const int StderrTailLines = 40;
    /// <summary>Notifications kept per queue (the oldest are dropped).</summary>
    public const int NotificationQueueLimit = 1000;
    /// <summary>The longest header the reader looks through for its blank line.</summary>
    private const int MaxHeaderBytes = 1024;
    private const int SliceMs = 100;

    private static readonly object s_startLock = new();
    private static ServerConnection? s_shared;
    private static readonly Regex s_contentLength = new(@"^content-length:\s*(\d+)\s*$", RegexOptions.IgnoreCase | RegexOptions.Multiline | RegexOptions.CultureInvariant);

    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly Stream _stdout;
    private readonly StreamReader _stderr;
    private readonly ConcurrentQueue<string> _stderrTail = new();
    private readonly ConcurrentDictionary<long, RpcRequest> _pending = new();
    private readonly ConcurrentQueue<RpcNotification> _notifications = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Thread _reader;
    private readonly Thread _watchdog;
    private readonly Thread _stderrReader;
    private long _nextId;
    private volatile bool _dead;
    private volatile bool _broken;
    private volatile bool _closing;
    private volatile string? _deathReason;
    private int _disposed;

    private ServerConnection(Process process, TimeSpan startDuration)
    {
        _process = process;
        ProcessId = process.Id;
        StartDuration = startDuration;
        _stdin = process.StandardInput.BaseStream;
        _stdout = process.StandardOutput.BaseStream;
        _stderr = process.StandardError;
        _stderrReader = new Thread(DrainStderr) { IsBackground = true, Name = "AzTokenBridge.Stderr" };
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "AzTokenBridge.Reader" };
        _watchdog = new Thread(Watch) { IsBackground = true, Name = "AzTokenBridge.Watchdog" };
        _stderrReader.Start();
        _reader.Start();
        _watchdog.Start();
    }

    /// <summary>The server's process id.</summary>
    public int ProcessId { get; }
    /// <summary>How long starting the process took.</summary>
    public TimeSpan StartDuration { get; }
    /// <summary>Why the connection is dead (the message its requests failed with), else null.</summary>
    public string? DeathReason => _deathReason;
    /// <summary>Whether requests can be sent: the server runs and the reader reads.</summary>
    public bool IsAlive => !_dead && !_broken && !_closing && Volatile.Read(ref _disposed) == 0 && !ProcessHasExited() && _reader.IsAlive;
    /// <summary>Whether the server process has exited (or this connection was disposed).</summary>
    public bool HasExited => ProcessHasExited();
    /// <summary>Requests sent and not answered yet.</summary>
    public int PendingCount => _pending.Count;
    /// <summary>The process-wide connection, alive or not (null before the first GetOrStart).</summary>
    public static ServerConnection? Shared => Volatile.Read(ref s_shared);

    private bool ProcessHasExited()
    {
        try { return _process.HasExited; } catch (InvalidOperationException) { return true; }
    }

    /// <summary>The last lines the server wrote to stderr.</summary>
    public string[] GetStderrTail() => _stderrTail.ToArray();

    private const string NoticePrefix = "[aztokenbridge] error: AZTOKENBRIDGE_";
    private const int MaxNotices = 10;
    private readonly ConcurrentQueue<string> _notices = new();

    /// <summary>
    /// One of the server's error lines about its own settings (e.g. "AZTOKENBRIDGE_LOG_FILE: refused
    /// the log file …"), each given out once, for the module to show as a warning.
    /// </summary>
    public bool TryDequeueNotice(out string? notice) => _notices.TryDequeue(out notice);

    // ------------------------------------------------------------------------------------------
    // Starting

    /// <summary>
    /// The process-wide connection: the live one, or a new server when there is none or it died
    /// (the dead one is disposed first). Thread-safe. Throws FileNotFoundException when the server
    /// cannot be started.
    /// </summary>
    public static ServerConnection GetOrStart(ServerStartInfo info) => GetOrStart(info, out _);

    /// <summary>As GetOrStart(info); <paramref name="started"/> tells whether a server was started.</summary>
    public static ServerConnection GetOrStart(ServerStartInfo info, out bool started)
    {
        started = false;
        var conn = Volatile.Read(ref s_shared);
        if (conn is not null && conn.IsAlive) return conn;
        lock (s_startLock)
        {
            conn = s_shared;
            if (conn is not null && conn.IsAlive) return conn;
            conn?.Dispose();
            var fresh = Start(info);
            Volatile.Write(ref s_shared, fresh);
            started = true;
            return fresh;
        }
    }

    /// <summary>Ends the process-wide server, if any (module removal).</summary>
    private static readonly ConcurrentDictionary<object, byte> s_moduleUsers = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Records a session (the module passes its runspace) that imported the module: the shared
    /// server is the process's, and one session's Remove-Module must not stop it under another's
    /// calls (ReleaseModuleUser).
    /// </summary>
    public static void AddModuleUser(object session) => s_moduleUsers.TryAdd(session, 0);

    /// <summary>Forgets a session that removed the module; returns the sessions still recorded
    /// (the module stops the server when none of them is still open).</summary>
    public static object[] ReleaseModuleUser(object session)
    {
        s_moduleUsers.TryRemove(session, out _);
        return s_moduleUsers.Keys.ToArray();
    }

    /// <summary>Forgets a session that is gone (closed without removing the module).</summary>
    public static void ForgetModuleUser(object session) => s_moduleUsers.TryRemove(session, out _);

    public static void StopShared()
    {
        ServerConnection? conn;
        lock (s_startLock)
        {
            conn = s_shared;
            Volatile.Write(ref s_shared, null);
        }
        conn?.Dispose();
    }

    /// <summary>Starts a server with a connection of its own (not the process-wide one).</summary>
    public static ServerConnection Start(ServerStartInfo info)
    {
        if (info is null) throw new ArgumentNullException(nameof(info));
        if (string.IsNullOrEmpty(info.FileName)) throw new ArgumentException("The server's file name is empty.", nameof(info));
        var psi = new ProcessStartInfo(info.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
            StandardOutputEncoding = Utf8,
            StandardErrorEncoding = Utf8,
        };
        foreach (var a in info.Arguments ?? Array.Empty<string>()) psi.ArgumentList.Add(a ?? "");
        if (!string.IsNullOrEmpty(info.WorkingDirectory)) psi.WorkingDirectory = info.WorkingDirectory;
        if (info.EnvironmentAllowList is not null) ApplyAllowList(psi, info.EnvironmentAllowList);

        var sw = Stopwatch.StartNew();
        Process? process = null;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("Process.Start returned no process.");
            var conn = new ServerConnection(process, sw.Elapsed);
            process = null;
            return conn;
        }
        catch (Exception e) when (process is null)
        {
            throw new FileNotFoundException($"Could not start the AzTokenBridge server '{info.FileName}': {e.Message}", info.FileName, e);
        }
        finally
        {
            // Started but not handed over: end it rather than leave it to nobody.
            if (process is not null) { try { process.Kill(true); } catch { } }
        }
    }

    internal static readonly UTF8Encoding Utf8 = new(false);

    /// <summary>Keeps only the allowed variables in the start environment (names and `*` prefixes, any
    /// case). Public: the module starts the emulator with the same rule (module/Private/Processes.ps1).</summary>
    public static void ApplyAllowList(ProcessStartInfo psi, string[] allowList)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var prefixes = new List<string>();
        foreach (var n in allowList)
        {
            if (string.IsNullOrEmpty(n)) continue;
            if (n.EndsWith('*')) prefixes.Add(n.TrimEnd('*'));
            else names.Add(n);
        }
        foreach (var name in new List<string>(psi.Environment.Keys))
        {
            var allowed = names.Contains(name);
            if (!allowed)
            {
                foreach (var p in prefixes)
                {
                    if (name.StartsWith(p, StringComparison.OrdinalIgnoreCase)) { allowed = true; break; }
                }
            }
            if (!allowed) psi.Environment.Remove(name);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Sending

    /// <summary>
    /// Sends one request: params are the UTF-8 JSON of an object (null or empty: {}). Returns at
    /// once with the request in flight. Throws RpcMessageTooLargeException (nothing sent) when the
    /// message would be over MaxMessageBytes, ArgumentException when params are not one JSON
    /// object, and ServerConnectionException when the connection is dead or the server did not
    /// take the request (RequestSent false: nothing was done; send it again on a new connection).
    /// </summary>
    public RpcRequest SendRequest(string method, byte[]? paramsJson) => SendRequest(method, paramsJson, keepMessages: false);

    /// <summary>
    /// SendRequest; with <paramref name="keepMessages"/> the request keeps the message sent
    /// (RequestJson) and the answer as it came (ResponseJson), for a trace.
    /// </summary>
    public RpcRequest SendRequest(string method, byte[]? paramsJson, bool keepMessages)
    {
        if (string.IsNullOrEmpty(method)) throw new ArgumentException("The method name is empty.", nameof(method));
        var body = BuildMessage(method, paramsJson, withId: true, out var id);
        ThrowIfNotUsable(method);
        var request = new RpcRequest(this, id, method) { KeepMessages = keepMessages, RequestJson = keepMessages ? body : null };
        _pending[id] = request;
        if (_dead && _pending.TryRemove(id, out _)) throw NotSent(method, null);
        try
        {
            WriteBody(body);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            if (_pending.TryRemove(id, out _))
            {
                _broken = true;
                throw NotSent(method, e);
            }
            // The reader failed it already (the connection died meanwhile): the request says why.
        }
        return request;
    }

    /// <summary>
    /// As SendRequest(method, paramsJson, keepMessages), except that a request that is not sent
    /// does not throw: it comes back finished, its Failure the RpcMessageTooLargeException (over
    /// the limit) or the ServerConnectionException (RequestSent false: the connection is dead or
    /// did not take it; nothing was done). For callers in PowerShell script, where an exception
    /// caught still lands in $Error and -ErrorVariable. ArgumentException (params that are not one
    /// JSON object: a bug of the caller) is still thrown.
    /// </summary>
    public RpcRequest Post(string method, byte[]? paramsJson, bool keepMessages)
    {
        try
        {
            return SendRequest(method, paramsJson, keepMessages);
        }
        catch (Exception e) when (e is RpcMessageTooLargeException or ServerConnectionException)
        {
            var request = new RpcRequest(this, 0, method);
            request.CompleteWithFailure(e);
            return request;
        }
    }

    /// <summary>SendRequest with params as JSON text.</summary>
    public RpcRequest SendRequest(string method, string? paramsJson) =>
        SendRequest(method, string.IsNullOrEmpty(paramsJson) ? null : Utf8.GetBytes(paramsJson));

    /// <summary>Sends a notification (no answer comes). Same checks as SendRequest.</summary>
    public void SendNotification(string method, byte[]? paramsJson)
    {
        if (string.IsNullOrEmpty(method)) throw new ArgumentException("The method name is empty.", nameof(method));
        var body = BuildMessage(method, paramsJson, withId: false, out _);
        ThrowIfNotUsable(method);
        try { WriteBody(body); }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { _broken = true; throw NotSent(method, e); }
    }

    /// <summary>SendNotification with params as JSON text.</summary>
    public void SendNotification(string method, string? paramsJson) =>
        SendNotification(method, string.IsNullOrEmpty(paramsJson) ? null : Utf8.GetBytes(paramsJson));

    /// <summary>
    /// Writes one frame with exactly this body, unchecked (tests and diagnostics: the server's
    /// answers to what the module never sends).
    /// </summary>
    public void WriteFrame(byte[] body)
    {
        if (body is null) throw new ArgumentNullException(nameof(body));
        ThrowIfNotUsable("(a raw frame)");
        WriteBody(body);
    }

    /// <summary>Tells the server to drop a request ($/cancelRequest). Never throws.</summary>
    internal void SendCancel(long id)
    {
        if (_dead || _closing) return;
        try
        {
            var body = Utf8.GetBytes("{\"jsonrpc\":\"2.0\",\"method\":\"$/cancelRequest\",\"params\":{\"id\":" + id.ToString(CultureInfo.InvariantCulture) + "}}");
            WriteBody(body);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or ServerConnectionException)
        {
            // The server is gone: its requests are failing anyway.
        }
    }

    private void ThrowIfNotUsable(string method)
    {
        if (_dead || _closing) throw NotSent(method, null);
    }

    private ServerConnectionException NotSent(string method, Exception? cause)
    {
        var reason = _deathReason;
        if (reason is not null)
            return new ServerConnectionException(reason, ServerFailureKind.NotSent, ProcessId, ExitCodeOrNull(), requestSent: false, cause);
        var why = cause is null ? "the connection is closed" : $"writing to it failed: {cause.Message.TrimEnd('.')}";
        return new ServerConnectionException(
            $"The AzTokenBridge server (process {ProcessId}) did not take the request {method}: {why}. Nothing was sent; the next call starts a new server.",
            ServerFailureKind.NotSent, ProcessId, ExitCodeOrNull(), requestSent: false, cause);
    }

    private int? ExitCodeOrNull()
    {
        try { return _process.HasExited ? _process.ExitCode : null; } catch { return null; }
    }

    /// <summary>{"jsonrpc":"2.0",["id":N,]"method":…,"params":{…}}; refused when over the limit.</summary>
    private byte[] BuildMessage(string method, byte[]? paramsJson, bool withId, out long id)
    {
        if (paramsJson is not null && paramsJson.Length > MaxMessageBytes)
            throw new RpcMessageTooLargeException(method, paramsJson.Length, MaxMessageBytes);
        if (paramsJson is { Length: > 0 }) CheckObject(paramsJson);
        id = withId ? Interlocked.Increment(ref _nextId) : 0;
        var buffer = new ArrayBufferWriter<byte>(256 + (paramsJson?.Length ?? 0));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("jsonrpc", "2.0");
            if (withId) w.WriteNumber("id", id);
            w.WriteString("method", method);
            w.WritePropertyName("params");
            if (paramsJson is { Length: > 0 }) w.WriteRawValue(paramsJson, skipInputValidation: true);
            else { w.WriteStartObject(); w.WriteEndObject(); }
            w.WriteEndObject();
        }
        if (buffer.WrittenCount > MaxMessageBytes) throw new RpcMessageTooLargeException(method, buffer.WrittenCount, MaxMessageBytes);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Throws ArgumentException unless the bytes are exactly one JSON object.</summary>
    private static void CheckObject(byte[] json)
    {
        try
        {
            var r = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw new ArgumentException("The params must be a JSON object.", "paramsJson");
            r.Skip();
            if (r.Read()) throw new ArgumentException("The params must be one JSON object (something follows it).", "paramsJson");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"The params are not valid JSON: {e.Message}", "paramsJson", e);
        }
    }

    /// <summary>Writes one frame, whole, under the write lock (waiting for it in slices).</summary>
    private void WriteBody(byte[] body)
    {
        var frame = Frame(body);
        while (!_writeLock.Wait(SliceMs))
        {
            if (_dead) throw NotSent("(a frame)", null);
        }
        try
        {
            _stdin.Write(frame, 0, frame.Length);
            _stdin.Flush();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static byte[] Frame(byte[] body)
    {
        var header = Encoding.ASCII.GetBytes("Content-Length: " + body.Length.ToString(CultureInfo.InvariantCulture) + "\r\n\r\n");
        var frame = new byte[header.Length + body.Length];
        Buffer.BlockCopy(header, 0, frame, 0, header.Length);
        Buffer.BlockCopy(body, 0, frame, header.Length, body.Length);
        return frame;
    }

    // ------------------------------------------------------------------------------------------
    // Notifications

    /// <summary>The oldest notification that belongs to no request in flight, or null.</summary>
    public RpcNotification? DequeueNotification() => _notifications.TryDequeue(out var n) ? n : null;

    internal static void Enqueue(ConcurrentQueue<RpcNotification> queue, RpcNotification n)
    {
        queue.Enqueue(n);
        while (queue.Count > NotificationQueueLimit && queue.TryDequeue(out _)) { }
    }

    // ------------------------------------------------------------------------------------------
    // Reading

    private void DrainStderr()
    {
        try
        {
            string? line;
            while ((line = _stderr.ReadLine()) is not null)
            {
                _stderrTail.Enqueue(line);
                while (_stderrTail.Count > StderrTailLines && _stderrTail.TryDequeue(out _)) { }
                // The server's problems with its own settings (a refused AZTOKENBRIDGE_LOG_FILE, an
                // unknown log level): kept for the module to show once (TryDequeueNotice).
                if (line.StartsWith(NoticePrefix, StringComparison.Ordinal) && _notices.Count < MaxNotices)
                    _notices.Enqueue(line.Substring("[aztokenbridge] error: ".Length));
            }
        }
        catch
        {
            // The pipe is gone: the process is.
        }
    }

    private static double TimeoutSeconds()
    {
        var setting = Environment.GetEnvironmentVariable("AZTOKENBRIDGE_TIMEOUT_SECONDS");
        if (!string.IsNullOrEmpty(setting) &&
            double.TryParse(setting, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed > 0)
        {
            return Math.Min(parsed, 86400.0);
        }
        return 30.0;
    }

    // The reader and the watchdog share these: when the last bytes and the last whole message came
    // (ms on _clock), and what is held of a frame not yet whole (0 bytes: nothing).
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastBytes;
    private long _lastFrame;
    private int _heldBytes;
    private volatile string _partial = "";
    private int _finished;
    private readonly ManualResetEventSlim _readerDone = new(false);

    /// <summary>
    /// The reader thread: blocking reads of stdout, each frame parsed and dispatched as it is whole.
    /// A blocking read, not ReadAsync: an answer then wakes this thread straight from the pipe,
    /// where an asynchronous read went through the runtime's socket-event thread and a thread-pool
    /// worker first (two more wake-ups and their CPU per answer; see bench/README.md). The
    /// liveness checks, which need a clock rather than data, are the watchdog's (Watch).
    /// </summary>
    private void ReadLoop()
    {
        var buf = new byte[65536];
        var len = 0;
        string? failure = null;
        var eof = false;
        try
        {
            while (true)
            {
                var n = _stdout.Read(buf, len, buf.Length - len);
                if (n <= 0) { eof = true; break; }
                len += n;
                var now = _clock.ElapsedMilliseconds;
                Volatile.Write(ref _lastBytes, now);
                while (true)
                {
                    var headerText = Encoding.ASCII.GetString(buf, 0, Math.Min(len, MaxHeaderBytes));
                    var headerEnd = headerText.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (headerEnd < 0)
                    {
                        if (len >= MaxHeaderBytes) throw new InvalidDataException($"The server wrote something that is not a protocol frame: '{headerText.Substring(0, 80)}'");
                        _partial = $"{len} bytes of a header";
                        break;
                    }
                    var m = s_contentLength.Match(headerText.Substring(0, headerEnd));
                    if (!m.Success || !int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var bodyLength) || bodyLength > int.MaxValue - headerEnd - 4)
                        throw new InvalidDataException($"The server sent a frame without Content-Length: '{headerText.Substring(0, headerEnd)}'");
                    var total = headerEnd + 4 + bodyLength;
                    if (len < total)
                    {
                        if (buf.Length < total)
                        {
                            var bigger = new byte[Math.Max(total, Math.Min(int.MaxValue / 2, buf.Length) * 2)];
                            Buffer.BlockCopy(buf, 0, bigger, 0, len);
                            buf = bigger;
                        }
                        _partial = $"{len - headerEnd - 4} of its {bodyLength} bytes";
                        break;
                    }
                    JsonDocument doc;
                    try
                    {
                        doc = JsonDocument.Parse(new ReadOnlyMemory<byte>(buf, headerEnd + 4, bodyLength));
                    }
                    catch (JsonException)
                    {
                        var text = Encoding.UTF8.GetString(buf, headerEnd + 4, Math.Min(bodyLength, 80));
                        throw new InvalidDataException($"The server sent a frame that is not valid JSON (its Content-Length, {bodyLength}, may be wrong): '{text}'");
                    }
                    // The document reads the buffer in place: it is done with (and what is kept was
                    // cloned) before the buffer moves on.
                    using (doc)
                    {
                        // A message: the server is alive (the answer to the probe, or to anything else).
                        Volatile.Write(ref _lastFrame, now);
                        Dispatch(doc.RootElement);
                    }
                    Buffer.BlockCopy(buf, total, buf, 0, len - total);
                    len -= total;
                }
                Volatile.Write(ref _heldBytes, len);
            }
        }
        catch (Exception e) when (!_closing)
        {
            failure = e is AggregateException a && a.InnerException is not null ? a.InnerException.Message : e.Message;
        }
        catch
        {
            // Disposed while reading: closed.
        }
        finally
        {
            Finish(eof, failure, null);
            _readerDone.Set();
        }
    }

    /// <summary>
    /// The watchdog thread: every slice, while a request waits or part of a frame is held, the
    /// liveness rules (the header of this file): a probe after the probe interval without a
    /// message, and the end of the connection when the timeout passes without one. It ends when
    /// the connection does.
    /// </summary>
    private void Watch()
    {
        long idleAt = 0, probeAt = -1;
        var probeSent = false;
        string? unresponsive = null;
        while (!_readerDone.Wait(SliceMs) && Volatile.Read(ref _finished) == 0)
        {
            var now = _clock.ElapsedMilliseconds;
            var lastFrame = Volatile.Read(ref _lastFrame);
            var lastBytes = Volatile.Read(ref _lastBytes);
            var held = Volatile.Read(ref _heldBytes) > 0;
            // A message since the probe was wanted: the server is alive.
            if (probeAt >= 0 && lastFrame >= probeAt) probeAt = -1;
            var waiting = !_pending.IsEmpty;
            if (!waiting) idleAt = now;
            if (!waiting && !held && probeAt < 0) continue;
            var timeoutSeconds = TimeoutSeconds();
            var timeoutMs = (long)(timeoutSeconds * 1000);
            var said = $"did not answer for {timeoutSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";
            if (held && now - lastBytes >= timeoutMs)
            {
                unresponsive = $"{said}: it wrote part of a message ({_partial}) and then nothing more.";
                break;
            }
            if (probeAt < 0 && waiting && now - Math.Max(lastFrame, idleAt) >= Math.Min(5000L, timeoutMs / 2))
            {
                probeAt = now;
                probeSent = false;
            }
            if (probeAt >= 0 && !probeSent && _writeLock.Wait(0))
            {
                // Written on the thread pool, holding the lock until it is written: the watchdog
                // never blocks on a server that does not read its input.
                probeSent = true;
                var frame = Frame(Utf8.GetBytes("{\"jsonrpc\":\"2.0\",\"id\":" + Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture) + ",\"method\":\"bridge/hello\",\"params\":{}}"));
                Task.Run(() =>
                {
                    try { _stdin.Write(frame, 0, frame.Length); _stdin.Flush(); }
                    catch { /* the server's stdin is gone: it is exiting, and the read sees EOF */ }
                    finally { _writeLock.Release(); }
                });
            }
            if (probeAt >= 0 && now - probeAt >= timeoutMs)
            {
                unresponsive = probeSent
                    ? $"{said}: a request was waiting, and a liveness check (bridge/hello) got no answer."
                    : $"{said}: a request was waiting, and it did not read its input (a liveness check could not be written).";
                break;
            }
        }
        // Hung: end it here (Finish kills the process tree, so the reader's read ends too; should
        // something else hold the pipe open, the requests have failed all the same).
        if (unresponsive is not null) Finish(false, null, unresponsive);
    }

    /// <summary>Hands one message to whoever waits for it.</summary>
    private void Dispatch(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return;
        if (root.TryGetProperty("id", out var idElement))
        {
            if (idElement.ValueKind == JsonValueKind.Number && idElement.TryGetInt64(out var id))
            {
                if (_pending.TryRemove(id, out var request)) request.CompleteWith(root);
                // else: the probe's answer, or the answer to a request nobody waits for any more.
                return;
            }
            if (idElement.ValueKind == JsonValueKind.Null && root.TryGetProperty("error", out var errorElement))
            {
                // The server could not tell which request this answers: any of those in flight may be it.
                foreach (var key in _pending.Keys)
                {
                    if (_pending.TryRemove(key, out var request)) request.CompleteWithError(RpcError.From(errorElement, unattributed: true), root);
                }
            }
            return;
        }
        if (root.TryGetProperty("method", out var methodElement) && methodElement.ValueKind == JsonValueKind.String)
        {
            JsonElement? parameters = root.TryGetProperty("params", out var p) ? p.Clone() : null;
            long? requestId = null;
            if (parameters is { ValueKind: JsonValueKind.Object } po && po.TryGetProperty("requestId", out var r) &&
                r.ValueKind == JsonValueKind.Number && r.TryGetInt64(out var rid))
            {
                requestId = rid;
            }
            var notification = new RpcNotification(methodElement.GetString()!, parameters, requestId);
            if (requestId is long target && _pending.TryGetValue(target, out var owner)) owner.Enqueue(notification);
            else Enqueue(_notifications, notification);
        }
    }

    /// <summary>The reader's end: ends the process when it is broken or hung, and fails every request in flight.</summary>
    private void Finish(bool eof, string? failure, string? unresponsive)
    {
        // Once: by the reader at the end of its stream, by the watchdog for a hung server, or by
        // Dispose when the reader did not end.
        if (Interlocked.Exchange(ref _finished, 1) != 0) return;
        var exit = "";
        int? exitCode = null;
        if (eof)
        {
            // The server closed stdout: it is exiting; its exit code makes the error clearer.
            try { if (_process.WaitForExit(2000)) { exitCode = _process.ExitCode; exit = $" with exit code {exitCode}"; } } catch { }
        }
        else
        {
            if (failure is not null || unresponsive is not null)
            {
                // Broken or hung: whatever state it is in, end it (and anything it started) now, so
                // that no process is left behind and the next call starts afresh.
                try { _process.Kill(true); } catch { }
                try { _process.WaitForExit(2000); } catch { }
            }
            // Closed: the server exits on the end of its stdin.
            try { _stdin.Close(); } catch { }
        }
        // The last of stderr (a crash's message) comes with the end of the process.
        try { _stderrReader.Join(1000); } catch { }
        var id = ProcessId;
        string message;
        ServerFailureKind kind;
        if (unresponsive is not null)
        {
            kind = ServerFailureKind.Unresponsive;
            message = $"The AzTokenBridge server (process {id}) {unresponsive} The connection was reset: the process was ended, and the next call starts a new server. AZTOKENBRIDGE_TIMEOUT_SECONDS sets how long to wait (default 30).";
        }
        else if (failure is not null)
        {
            kind = ServerFailureKind.ProtocolError;
            message = $"The connection to the AzTokenBridge server (process {id}) failed: {failure.TrimEnd('.')}. The process was ended; the next call starts a new server.";
        }
        else if (!eof)
        {
            kind = ServerFailureKind.Closed;
            message = $"The connection to the AzTokenBridge server (process {id}) was closed: PowerShell is exiting or the module was removed.";
        }
        else
        {
            kind = ServerFailureKind.Exited;
            message = $"The AzTokenBridge server (process {id}) exited{exit}.";
        }
        var lines = _stderrTail.ToArray();
        if (lines.Length > 0) message += " Its last output on stderr: " + string.Join(" | ", lines);
        _deathReason = message;
        _dead = true;
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out var request))
                request.CompleteWithFailure(new ServerConnectionException(message, kind, id, exitCode ?? ExitCodeOrNull(), requestSent: true, null));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Ending

    /// <summary>
    /// Ends the server: closes its stdin (it exits on EOF), waits at most 2 s, then kills its
    /// process tree. Requests still in flight fail. Returns within a few seconds.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Not taking the write lock: a writer stuck on a full pipe must not hold this up.
        try { _stdin.Close(); } catch { }
        try
        {
            if (!_process.WaitForExit(2000)) _process.Kill(true);
        }
        catch { }
        _closing = true;
        try { _reader.Join(3000); } catch { }
        // A reader still blocked (something else holds the server's stdout open): its requests fail now.
        Finish(false, null, null);
        try { _process.Dispose(); } catch { }
        lock (s_startLock)
        {
            if (ReferenceEquals(s_shared, this)) Volatile.Write(ref s_shared, null);
        }
    }
}
