# Transport: one long-lived server process per PowerShell process, spoken to over its stdio with
# JSON-RPC 2.0 and Content-Length framing (the framing vscode-jsonrpc uses).
#
# - The connection is process-wide (AppDomain data holding plain .NET objects), so every runspace
#   of the process (ForEach-Object -Parallel, jobs) shares one server.
# - Writes: whole frames as bytes to stdin's BaseStream, under a lock, so frames never interleave.
# - Reads: one background runspace reads exact byte counts from stdout's BaseStream, matches each
#   response to its request by id (TaskCompletionSource per request), and drains stderr into a
#   short tail kept for error messages. No script block ever runs as a .NET event handler.
# - Callers wait in short slices, so a stop (Ctrl+C, Select-Object -First) gets through; a stopped
#   call sends $/cancelRequest.
# - If the server dies, every call in flight fails with the exit code and stderr tail, and the next
#   call starts a new server.
# - If the server stops answering (hung, or a frame cut short), the reader finds out with a liveness
#   probe and a timeout ($env:AZTOKENBRIDGE_TIMEOUT_SECONDS, default 30), kills it, and every call in
#   flight fails naming the cause (see the reader below).
# - Lifetime: the server exits when its stdin closes. That happens on Remove-Module (OnRemove), on
#   process exit (the OS closes the pipe), and on engine exit: when pwsh closes its primary runspace
#   it disposes every other runspace of the process, the reader's included, stopping its pipeline and
#   WAITING for it. So the reader never blocks without a timeout (it waits in 100 ms slices: a wait
#   with no timeout would keep pwsh from ever exiting), and when it is stopped it closes the server's
#   stdin on its way out.

$script:StateKey = 'AzTokenBridge.State.v1'
$script:Utf8 = [System.Text.UTF8Encoding]::new($false)

# The reader loop, run on its own runspace. Only .NET calls and the language: it needs no cmdlets.
#
# It also watches that the server is alive (issue E): a server can take a request and never answer
# (hung, deadlocked), or write part of a frame and then nothing. A plain per-request timeout would
# cut legitimately long calls short (a device-code sign-in waits up to 15 minutes for the user, a
# browser sign-in as long, ARM retries honour Retry-After), so the reader checks the server rather
# than the call:
# - Liveness probe: while a request is waiting and nothing has come from the server for the probe
#   interval (half the timeout, at most 5 s), the reader sends one `bridge/hello` (one at a time per
#   connection: the connection, and so this reader, is shared by every runspace of the process). Any
#   message from the server counts as life and clears the probe. If no message comes within the
#   timeout after the probe (or the probe cannot even be written: the server does not read its
#   input), the server is unresponsive.
# - Partial frame: bytes of a frame are held and none has come for the timeout (a truncated frame,
#   or a Content-Length larger than the body): unresponsive too.
# - Unresponsive: the reader kills the process (its tree), sets DeathReason ("The AzTokenBridge
#   server (process N) did not answer for 30 s: … The connection was reset …") and fails every
#   request in flight with it; the next call starts a new server.
# - The timeout is $env:AZTOKENBRIDGE_TIMEOUT_SECONDS (default 30; a number > 0), read at each check,
#   so a change applies at once. Checks run here, at most every 100 ms and only while a request
#   waits or a partial frame is held: a call answered at once costs nothing more.
# - The probe is written with WriteAsync under the write lock taken with TryEnter(0): the reader
#   never blocks on a server that does not read (it is disposed, and waited for, at pwsh exit).
$script:ReaderScript = {
    param($conn)
    # The runspace's pipeline thread is a foreground thread: it would keep the process alive after
    # the session ends. The reader must never do that.
    [System.Threading.Thread]::CurrentThread.IsBackground = $true
    $stdout = $conn.Process.StandardOutput.BaseStream
    $stderr = $conn.Process.StandardError
    $tail = $conn.StderrTail
    $pending = $conn.Pending
    $ascii = [System.Text.Encoding]::ASCII
    $invariant = [cultureinfo]::InvariantCulture
    $buf = [byte[]]::new(65536)
    $len = 0
    $failure = $null
    $unresponsive = $null
    $eof = $false
    # Liveness (ms on $clock): the last message and the last bytes from the server, the last check
    # that found no request waiting, the probe wanted since (-1: none) and whether it was written.
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $lastFrame = 0L
    $lastBytes = 0L
    $idleAt = 0L
    $nextCheck = 0L
    $probeAt = -1L
    $probeSent = $false
    $partial = $null
    try {
        $errTask = $stderr.ReadLineAsync()
        $outTask = $stdout.ReadAsync($buf, 0, $buf.Length)
        $tasks = [System.Threading.Tasks.Task[]]::new(2)
        while ($true) {
            $tasks[0] = $outTask
            $tasks[1] = $errTask
            # Short slices: between them the engine can stop this pipeline (pwsh exit, module removal).
            $ready = [System.Threading.Tasks.Task]::WaitAny($tasks, 100)
            $now = $clock.ElapsedMilliseconds
            if ($now -ge $nextCheck) {
                $nextCheck = $now + 100
                $waiting = $pending.Count -gt 0
                if (-not $waiting) { $idleAt = $now }
                if ($waiting -or $len -gt 0 -or $probeAt -ge 0) {
                    $timeoutSeconds = 30.0
                    $setting = [System.Environment]::GetEnvironmentVariable('AZTOKENBRIDGE_TIMEOUT_SECONDS')
                    $parsed = 0.0
                    if ($setting -and [double]::TryParse($setting, [System.Globalization.NumberStyles]::Float, $invariant, [ref]$parsed) -and $parsed -gt 0) {
                        $timeoutSeconds = [Math]::Min($parsed, 86400.0)
                    }
                    $timeoutMs = [long]($timeoutSeconds * 1000)
                    $said = "did not answer for $($timeoutSeconds.ToString('0.###', $invariant)) s"
                    if ($len -gt 0 -and $now - $lastBytes -ge $timeoutMs) {
                        $unresponsive = "$($said): it wrote part of a message ($partial) and then nothing more."
                        break
                    }
                    if ($probeAt -lt 0 -and $waiting -and $now - [Math]::Max($lastFrame, $idleAt) -ge [Math]::Min(5000L, [long]($timeoutMs / 2))) {
                        $probeAt = $now
                        $probeSent = $false
                    }
                    if ($probeAt -ge 0 -and -not $probeSent -and [System.Threading.Monitor]::TryEnter($conn.WriteLock, 0)) {
                        try {
                            $conn.NextId = $conn.NextId + 1
                            $probe = $ascii.GetBytes('{"jsonrpc":"2.0","id":' + $conn.NextId + ',"method":"bridge/hello","params":{}}')
                            $frame = $ascii.GetBytes("Content-Length: $($probe.Length)`r`n`r`n" + $ascii.GetString($probe))
                            $null = $conn.Stdin.WriteAsync($frame, 0, $frame.Length)
                            $probeSent = $true
                        } catch {
                            # The server's stdin is gone: it is exiting, and the read sees EOF.
                            $probeSent = $true
                        } finally {
                            [System.Threading.Monitor]::Exit($conn.WriteLock)
                        }
                    }
                    if ($probeAt -ge 0 -and $now - $probeAt -ge $timeoutMs) {
                        $unresponsive = if ($probeSent) { "$($said): a request was waiting, and a liveness check (bridge/hello) got no answer." }
                                        else { "$($said): a request was waiting, and it did not read its input (a liveness check could not be written)." }
                        break
                    }
                }
            }
            if ($ready -lt 0) { continue }
            if ($ready -eq 1) {
                $line = $errTask.GetAwaiter().GetResult()
                if ($null -eq $line) {
                    $errTask = [System.Threading.Tasks.Task]::Delay(-1)   # stderr closed: never again
                } else {
                    $tail.Enqueue($line)
                    $drop = $null
                    while ($tail.Count -gt 40) { [void]$tail.TryDequeue([ref]$drop) }
                    # The server's problems with its own settings (a refused AZTOKENBRIDGE_LOG_FILE):
                    # the next call shows them as warnings (Receive-AzTokenBridgeResponse).
                    if ($line.StartsWith('[aztokenbridge] error: AZTOKENBRIDGE_', [System.StringComparison]::Ordinal) -and $conn.Notices.Count -lt 10) {
                        $conn.Notices.Enqueue($line.Substring(23))
                    }
                    $errTask = $stderr.ReadLineAsync()
                }
                continue
            }
            $n = $outTask.GetAwaiter().GetResult()
            if ($n -le 0) { $eof = $true; break }   # EOF: the server is gone
            $len += $n
            $lastBytes = $clock.ElapsedMilliseconds
            while ($true) {
                $headerText = $ascii.GetString($buf, 0, [Math]::Min($len, 1024))
                $headerEnd = $headerText.IndexOf("`r`n`r`n")
                if ($headerEnd -lt 0) {
                    if ($len -ge 1024) { throw "The server wrote something that is not a protocol frame: '$($headerText.Substring(0, 80))'" }
                    $partial = "$len bytes of a header"
                    break
                }
                $m = [regex]::Match($headerText.Substring(0, $headerEnd), '(?im)^content-length:\s*(\d+)\s*$')
                if (-not $m.Success) { throw "The server sent a frame without Content-Length: '$($headerText.Substring(0, $headerEnd))'" }
                $bodyLength = [int]$m.Groups[1].Value
                $total = $headerEnd + 4 + $bodyLength
                if ($len -lt $total) {
                    if ($buf.Length -lt $total) {
                        $bigger = [byte[]]::new([Math]::Max($total, $buf.Length * 2))
                        [Array]::Copy($buf, $bigger, $len)
                        $buf = $bigger
                    }
                    $partial = "$($len - $headerEnd - 4) of its $bodyLength bytes"
                    break
                }
                $body = [byte[]]::new($bodyLength)
                [Array]::Copy($buf, $headerEnd + 4, $body, 0, $bodyLength)
                [Array]::Copy($buf, $total, $buf, 0, $len - $total)
                $len -= $total
                try {
                    $doc = [System.Text.Json.JsonDocument]::Parse([System.ReadOnlyMemory[byte]]::new($body), [System.Text.Json.JsonDocumentOptions]::new())
                } catch {
                    $text = [System.Text.Encoding]::UTF8.GetString($body, 0, [Math]::Min($bodyLength, 80))
                    throw "The server sent a frame that is not valid JSON (its Content-Length, $bodyLength, may be wrong): '$text'"
                }
                # A message: the server is alive (the answer to the probe, or to anything else).
                $lastFrame = $lastBytes
                $probeAt = -1L
                $idElement = [System.Text.Json.JsonElement]::new()
                $tcs = $null
                if ($doc.RootElement.TryGetProperty('id', [ref]$idElement) -and
                    $idElement.ValueKind -eq [System.Text.Json.JsonValueKind]::Number -and
                    $pending.TryRemove($idElement.GetInt64(), [ref]$tcs)) {
                    [void]$tcs.TrySetResult($doc)
                } else {
                    $doc.Dispose()   # a notification, the probe's answer, or the answer to a request nobody waits for any more
                }
            }
            $outTask = $stdout.ReadAsync($buf, $len, $buf.Length - $len)
        }
    } catch {
        $failure = $_.Exception.Message
    } finally {
        $exit = ''
        if ($eof) {
            # The server closed stdout: it is exiting; its exit code makes the error clearer.
            try { if ($conn.Process.WaitForExit(2000)) { $exit = " with exit code $($conn.Process.ExitCode)" } } catch { }
        } else {
            if ($null -ne $failure -or $null -ne $unresponsive) {
                # Broken or hung: whatever state it is in, end it (and anything it started) now, so
                # that no process is left behind and the next call starts afresh.
                try { $conn.Process.Kill($true) } catch { }
                try { [void]$conn.Process.WaitForExit(2000) } catch { }
            }
            # Stopped (engine exit, module removal): the server exits on the end of its stdin.
            try { $conn.Stdin.Close() } catch { }
        }
        $lines = @($tail.ToArray())
        $id = $conn.Process.Id
        $message = "The AzTokenBridge server (process $id) exited$exit."
        if ($unresponsive) { $message = "The AzTokenBridge server (process $id) $unresponsive The connection was reset: the process was ended, and the next call starts a new server. AZTOKENBRIDGE_TIMEOUT_SECONDS sets how long to wait (default 30)." }
        elseif ($failure) { $message = "The connection to the AzTokenBridge server (process $id) failed: $($failure.TrimEnd('.')). The process was ended; the next call starts a new server." }
        elseif (-not $eof) { $message = "The connection to the AzTokenBridge server (process $id) was closed: PowerShell is exiting or the module was removed." }
        if ($lines.Count -gt 0) { $message += " Its last output on stderr: " + ($lines -join ' | ') }
        $conn.DeathReason = $message
        $conn.Dead = $true
        foreach ($key in @($pending.Keys)) {
            $tcs = $null
            if ($pending.TryRemove($key, [ref]$tcs)) { [void]$tcs.TrySetException([System.IO.IOException]::new($message)) }
        }
    }
}

function Get-AzTokenBridgeState {
    # The process-wide state: one ConcurrentDictionary stored in AppDomain data.
    $domain = [System.AppDomain]::CurrentDomain
    $state = $domain.GetData($script:StateKey)
    if ($null -eq $state) {
        [System.Threading.Monitor]::Enter($domain)
        try {
            $state = $domain.GetData($script:StateKey)
            if ($null -eq $state) {
                $state = [System.Collections.Concurrent.ConcurrentDictionary[string, object]]::new()
                $state['StartLock'] = [object]::new()
                $domain.SetData($script:StateKey, $state)
            }
        } finally {
            [System.Threading.Monitor]::Exit($domain)
        }
    }
    $state
}

function Get-AzTokenBridgeRid {
    $arch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture.ToString().ToLowerInvariant()
    $os = if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
    "$os-$arch"
}

function Resolve-AzTokenBridgeCommand {
    # The server's command line: $env:AZTOKENBRIDGE_SERVER (e.g. "node dist/aztokenbridge.js") when
    # set, else the packaged binary for this platform under module/bin/<rid>/.
    param([string[]]$Arguments = @())
    if ($env:AZTOKENBRIDGE_SERVER) {
        $errors = $null
        $tokens = [System.Management.Automation.PSParser]::Tokenize($env:AZTOKENBRIDGE_SERVER, [ref]$errors)
        $parts = [System.Collections.Generic.List[string]]::new()
        foreach ($t in $tokens) { if ($t.Type -ne 'NewLine') { $parts.Add($t.Content) } }
        $rest = [System.Collections.Generic.List[string]]::new()
        for ($i = 1; $i -lt $parts.Count; $i++) { $rest.Add($parts[$i]) }
        foreach ($a in $Arguments) { $rest.Add($a) }
        return [pscustomobject]@{ FileName = $parts[0]; Arguments = $rest }
    }
    $rid = Get-AzTokenBridgeRid
    $name = if ($IsWindows) { 'aztokenbridge.exe' } else { 'aztokenbridge' }
    $path = [System.IO.Path]::Combine($script:ModuleRoot, 'bin', $rid, $name)
    if (-not [System.IO.File]::Exists($path)) {
        return [System.IO.FileNotFoundException]::new(
            "The AzTokenBridge server for $rid is not at '$path'. Build it with ./build.ps1 (or npm run build), or set AZTOKENBRIDGE_SERVER to a command that runs it.", $path)
    }
    [pscustomobject]@{ FileName = $path; Arguments = $Arguments }
}

function Set-AzTokenBridgeStartEnvironment {
    # The child starts with the session's variables named in src/protocol.ts SERVER_START_VARIABLES
    # ($script:ServerStartVariables) and no others: no secret of the session sits in its
    # environment. What sign-in needs arrives with each call (Get-AzTokenBridgeCallContext).
    param([System.Diagnostics.ProcessStartInfo]$StartInfo)
    $names = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)
    $prefixes = [System.Collections.Generic.List[string]]::new()
    foreach ($n in $script:ServerStartVariables) { if ($n.EndsWith('*')) { $prefixes.Add($n.TrimEnd('*')) } else { [void]$names.Add($n) } }
    foreach ($name in @($StartInfo.Environment.Keys)) {
        $allowed = $names.Contains($name)
        if (-not $allowed) { foreach ($p in $prefixes) { if ($name.StartsWith($p, [System.StringComparison]::OrdinalIgnoreCase)) { $allowed = $true; break } } }
        if (-not $allowed) { [void]$StartInfo.Environment.Remove($name) }
    }
}

function Start-AzTokenBridgeProcess {
    # Starts the server (or the emulator) with all three standard streams redirected.
    # Returns the Process, or the exception that kept it from starting.
    param([string[]]$Arguments = @())
    $command = Resolve-AzTokenBridgeCommand -Arguments $Arguments
    if ($command -is [System.Exception]) { return $command }
    $psi = [System.Diagnostics.ProcessStartInfo]::new($command.FileName)
    foreach ($a in $command.Arguments) { $psi.ArgumentList.Add([string]$a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.CreateNoWindow = $true
    $psi.StandardOutputEncoding = $script:Utf8
    $psi.StandardErrorEncoding = $script:Utf8
    $location = $ExecutionContext.SessionState.Path.CurrentFileSystemLocation
    if ($location) { $psi.WorkingDirectory = $location.ProviderPath }
    Set-AzTokenBridgeStartEnvironment $psi

    try {
        [System.Diagnostics.Process]::Start($psi)
    } catch {
        $cause = $_.Exception
        if ($cause -is [System.Management.Automation.MethodInvocationException] -and $cause.InnerException) { $cause = $cause.InnerException }
        [System.IO.FileNotFoundException]::new("Could not start the AzTokenBridge server '$($command.FileName)': $($cause.Message)", [string]$command.FileName, $cause)
    }
}

function Start-AzTokenBridgeBackground {
    # Runs $Script (which must need no cmdlets) with one argument on a runspace of its own, in the
    # background. Returns @{ PowerShell; Result }. Such a runspace is one of those pwsh disposes at
    # exit: the script must wait only in short slices.
    param([scriptblock]$Script, $Argument, [string]$Name)
    # An empty session state (no cmdlets), in full language mode.
    $iss = [System.Management.Automation.Runspaces.InitialSessionState]::Create()
    $iss.LanguageMode = [System.Management.Automation.PSLanguageMode]::FullLanguage
    $runspace = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace($iss)
    $runspace.Name = $Name
    $runspace.Open()
    $ps = [powershell]::Create()
    $ps.Runspace = $runspace
    [void]$ps.AddScript($Script.ToString()).AddArgument($Argument)
    @{ PowerShell = $ps; Result = $ps.BeginInvoke() }
}

function Start-AzTokenBridgeServer {
    $process = Start-AzTokenBridgeProcess
    if ($process -is [System.Exception]) { return $process }
    $started = $false
    try {
        $conn = [hashtable]::Synchronized(@{
            Process     = $process
            Stdin       = $process.StandardInput.BaseStream
            Pending     = [System.Collections.Concurrent.ConcurrentDictionary[long, System.Threading.Tasks.TaskCompletionSource[object]]]::new()
            WriteLock   = [object]::new()
            NextId      = [long]0
            StderrTail  = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
            Notices     = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
            Dead        = $false
            DeathReason = $null
        })
        $background = Start-AzTokenBridgeBackground -Script $script:ReaderScript -Argument $conn -Name 'AzTokenBridge.Reader'
        $conn.Reader = $background.PowerShell
        $conn.ReaderResult = $background.Result
        $started = $true
        $conn
    } finally {
        # Stopped while starting: end the process rather than leave it to nobody.
        if (-not $started) { try { $process.Kill($true) } catch { } }
    }
}

function Stop-AzTokenBridgeServerProcess {
    # Ends a server: close stdin (it exits on EOF), then kill it if it has not gone within 2 s.
    param($Conn)
    if ($null -eq $Conn) { return }
    try { $Conn.Stdin.Close() } catch { }
    try {
        if (-not $Conn.Process.WaitForExit(2000)) { $Conn.Process.Kill($true) }
    } catch { }
    try {
        if ($Conn.Reader) {
            [void]$Conn.ReaderResult.AsyncWaitHandle.WaitOne(2000)
            $rs = $Conn.Reader.Runspace
            $Conn.Reader.Dispose()
            $rs.Dispose()
        }
    } catch { }
}

function Test-AzTokenBridgeConnectionAlive {
    param($Conn)
    $null -ne $Conn -and -not $Conn.Dead -and -not $Conn.Process.HasExited -and -not $Conn.ReaderResult.IsCompleted
}

function Get-AzTokenBridgeConnection {
    # The live connection, started on first use and started again if the server died. Returns the
    # exception instead when no server can be started (no binary, not executable).
    #
    # Nothing in here writes to a stream while the state changes: a Write* call can throw (a prompt
    # under -NonInteractive) or be where a stop lands, and either would leave a half-built
    # connection. The state is replaced in one step, a started process that is not stored is ended,
    # and the trace lines are written at the end.
    param([System.Management.Automation.PSCmdlet]$Cmdlet)
    $state = Get-AzTokenBridgeState
    $conn = $state['Connection']
    if (Test-AzTokenBridgeConnectionAlive $conn) { return $conn }
    $trace = [System.Collections.Generic.List[string]]::new()
    $lock = $state['StartLock']
    $stored = $null
    [System.Threading.Monitor]::Enter($lock)
    try {
        $conn = $state['Connection']
        if (Test-AzTokenBridgeConnectionAlive $conn) {
            $stored = $conn
        } else {
            if ($null -ne $conn) {
                $trace.Add("AzTokenBridge: the server (process $($conn.Process.Id)) has exited; starting a new one.")
                Stop-AzTokenBridgeServerProcess $conn
            }
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            $new = $null
            try {
                $new = Start-AzTokenBridgeServer
                if ($new -isnot [System.Exception]) {
                    $state['Connection'] = $new
                    $stored = $new
                    $trace.Add("AzTokenBridge: started the server (process $($new.Process.Id)) in $([Math]::Round($sw.Elapsed.TotalMilliseconds, 1)) ms.")
                }
            } finally {
                # Stopped between the start and the store: nobody would ever end this process.
                if ($null -ne $new -and $new -isnot [System.Exception] -and -not [object]::ReferenceEquals($stored, $new)) {
                    Stop-AzTokenBridgeServerProcess $new
                }
            }
            if ($null -eq $stored) { return $new }
        }
    } finally {
        [System.Threading.Monitor]::Exit($lock)
    }
    foreach ($line in $trace) { Write-AzTokenBridgeTrace $Cmdlet $line }
    $stored
}

function Send-AzTokenBridgeFrame {
    # Writes one message (UTF-8 JSON bytes) with its Content-Length header, atomically. Returns
    # $null, or the IOException/ObjectDisposedException if the server's stdin is gone (anything
    # else is a bug and is thrown).
    param($Conn, [byte[]]$Body)
    $header = [System.Text.Encoding]::ASCII.GetBytes("Content-Length: $($Body.Length)`r`n`r`n")
    $frame = [byte[]]::new($header.Length + $Body.Length)
    [Array]::Copy($header, $frame, $header.Length)
    [Array]::Copy($Body, 0, $frame, $header.Length, $Body.Length)
    [System.Threading.Monitor]::Enter($Conn.WriteLock)
    try {
        $Conn.Stdin.Write($frame, 0, $frame.Length)
        $Conn.Stdin.Flush()
        $null
    } catch {
        $cause = $_.Exception
        if ($cause -is [System.Management.Automation.MethodInvocationException] -and $cause.InnerException) { $cause = $cause.InnerException }
        if ($cause -is [System.IO.IOException] -or $cause -is [System.ObjectDisposedException]) { return $cause }
        throw
    } finally {
        [System.Threading.Monitor]::Exit($Conn.WriteLock)
    }
}

function New-AzTokenBridgeRequestId {
    param($Conn)
    [System.Threading.Monitor]::Enter($Conn.WriteLock)
    try { $Conn.NextId = $Conn.NextId + 1; [long]$Conn.NextId } finally { [System.Threading.Monitor]::Exit($Conn.WriteLock) }
}

function Stop-AzTokenBridgeServer {
    # Ends the process-wide server (module removal).
    $state = Get-AzTokenBridgeState
    $conn = $null
    if ($state.TryRemove('Connection', [ref]$conn)) { Stop-AzTokenBridgeServerProcess $conn }
}
