# Protocol: calling a method on the server and turning its answer into PowerShell values or an
# ErrorRecord. Method names and payloads are defined in src/protocol.ts.

# Values to and from JSON, and the redacted copy of a message that -Debug prints, are the client's
# (module/Client/PSJson.cs). -Debug prints a message's strings only under fields known not to be
# secret (src/protocol.ts DEBUG_VISIBLE_FIELDS and the visible SESSION_VARIABLES, via
# Protocol.generated.ps1); every other string is ***. The tables are made when -Debug first needs them.
$script:DebugTables = $null

function Get-AzTokenBridgeRedactedText {
    # A message (UTF-8 bytes or text) as text for -Debug.
    param($Json)
    if ($null -eq $script:DebugTables) {
        $visible = [System.Collections.Generic.HashSet[string]]::new([string[]]$script:DebugVisibleFields, [System.StringComparer]::Ordinal)
        $prefixes = [System.Collections.Generic.List[string]]::new()
        foreach ($entry in $script:SessionVariables.GetEnumerator()) {
            if (-not $entry.Value) { continue }
            if ($entry.Key.EndsWith('*')) { $prefixes.Add($entry.Key.TrimEnd('*')) } else { [void]$visible.Add($entry.Key) }
        }
        $script:DebugTables = @{
            Visible = $visible; Prefixes = $prefixes.ToArray()
            Url = [System.Collections.Generic.HashSet[string]]::new([string[]]$script:DebugUrlFields, [System.StringComparer]::Ordinal)
        }
    }
    $t = $script:DebugTables
    [AzTokenBridge.Client.PSJson]::Redact($Json, $t.Visible, $t.Prefixes, $t.Url)
}

function Write-AzTokenBridgeTrace {
    # The module's trace lines ("AzTokenBridge: <method> completed in N ms."): verbose output, shown
    # by -Verbose or $VerbosePreference, and by -Debug.
    #
    # -Debug without -Verbose needs care: the engine then answers every WriteVerbose with an Inquire
    # prompt whenever the host has a UI (MshCommandRuntime.VerbosePreference), so pwsh asks "Continue
    # with this operation?" at each line, and under -NonInteractive WriteVerbose throws. In that case
    # the line goes to the debug stream, which -Debug turned on, and no prompt is made.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Message)
    if ($null -eq $Cmdlet) { return }
    $bound = $Cmdlet.MyInvocation.BoundParameters
    if (-not $bound.ContainsKey('Verbose') -and $bound.ContainsKey('Debug') -and ([System.Management.Automation.SwitchParameter]$bound['Debug']).IsPresent) {
        $Cmdlet.WriteDebug($Message)
    } else {
        $Cmdlet.WriteVerbose($Message)
    }
}

function Write-AzTokenBridgeWarning {
    # A warning the user must see while the cmdlet waits (the device code message, the browser
    # notices). Under -Debug without -WarningAction the engine makes every WriteWarning an Inquire
    # prompt ("Continue with this operation?"), which would hold up the sign-in it announces, and
    # throws under -NonInteractive; so there the message goes to the debug stream, which -Debug
    # shows, prefixed "WARNING: ".
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Message)
    $bound = $Cmdlet.MyInvocation.BoundParameters
    if (-not $bound.ContainsKey('WarningAction') -and $bound.ContainsKey('Debug') -and ([System.Management.Automation.SwitchParameter]$bound['Debug']).IsPresent) {
        $Cmdlet.WriteDebug("WARNING: $Message")
    } else {
        $Cmdlet.WriteWarning($Message)
    }
}

function Write-AzTokenBridgeNotifications {
    # The server's notifications about a request (src/protocol.ts, "Notifications"), queued for it
    # by the client's reader thread: written here, from the cmdlet's own pipeline thread, while the
    # cmdlet waits for the request (Receive-AzTokenBridgeResponse, the window's wait slices) and once
    # more when it is answered. Progress goes to the progress stream (activity 1; the last record is
    # kept in $Request.Progress, or $Window.Progress for a window, to be completed when the request
    # or the window ends), a warning to the warning stream, trace lines to verbose and debug.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Request, $Window)
    $rpc = $Request.Rpc
    if ($null -eq $rpc -or -not $rpc.HasNotifications) { return }
    $n = $rpc.DequeueNotification()
    if ($null -eq $n) { return }
    if ($null -eq $Cmdlet) { while ($null -ne $rpc.DequeueNotification()) { }; return }
    $methods = $script:NotificationMethods
    while ($null -ne $n) {
        $p = $n.Params
        $message = $null
        if ($null -ne $p -and $p.ValueKind -eq [System.Text.Json.JsonValueKind]::Object) {
            $m = [System.Text.Json.JsonElement]::new()
            if ($p.TryGetProperty('message', [ref]$m) -and $m.ValueKind -eq [System.Text.Json.JsonValueKind]::String) { $message = $m.GetString() }
        }
        switch ($n.Method) {
            $methods.Warning { if ($null -ne $message) { Write-AzTokenBridgeWarning $Cmdlet $message } }
            $methods.Verbose { if ($null -ne $message) { Write-AzTokenBridgeTrace $Cmdlet $message } }
            $methods.Debug { if ($null -ne $message) { $Cmdlet.WriteDebug($message) } }
            $methods.Progress {
                $o = [AzTokenBridge.Client.PSJson]::ToPS($p)
                $record = [System.Management.Automation.ProgressRecord]::new(1, [string]$o.activity, [string]$o.status)
                if ($o.currentOperation) { $record.CurrentOperation = [string]$o.currentOperation }
                if ($null -ne $o.percent) { $record.PercentComplete = [int]$o.percent }
                if ($null -ne $Window) {
                    # Piped inputs share one progress bar: the count says how far the pipeline is.
                    if ($Window.Added -gt 1 -and $Window.ProgressCount) { $record.CurrentOperation = "$($record.CurrentOperation) ($($Window.Written) of $($Window.Added) $($Window.ProgressCount))".TrimStart() }
                    $Window.Progress = $record
                } else {
                    $Request.Progress = $record
                }
                $Cmdlet.WriteProgress($record)
            }
        }
        $n = $rpc.DequeueNotification()
    }
}

function Complete-AzTokenBridgeProgress {
    # Ends a progress bar written from notifications (RecordType Completed).
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [System.Management.Automation.ProgressRecord]$Record)
    if ($null -eq $Cmdlet -or $null -eq $Record) { return }
    $done = [System.Management.Automation.ProgressRecord]::new($Record.ActivityId, $Record.Activity, 'Completed')
    $done.RecordType = 'Completed'
    $Cmdlet.WriteProgress($done)
}

function Invoke-AzTokenBridgeRpc {
    # Calls one server method and waits for its answer. Returns @{ Result; Failure }: Result is the
    # method's result as PowerShell values; Failure an exception (a JSON-RPC error carries it in
    # Data['AzTokenBridge.RpcError']; see New-AzTokenBridgeErrorRecord).
    #
    # Expected failures are returned, not thrown: an exception thrown and caught inside a script
    # function still lands in the caller's -ErrorVariable and $Error, so one failed call would show
    # up there several times. Only a stop (Ctrl+C) propagates.
    param(
        # The calling cmdlet, for -Verbose and -Debug; $null (argument completers) writes neither.
        [System.Management.Automation.PSCmdlet]$Cmdlet,
        [Parameter(Mandatory)][string]$Method,
        [System.Collections.IDictionary]$Params = @{},
        # The cmdlet's -DefaultProfile (a hashtable or an Az context), if any.
        $DefaultProfile,
        # Send only the session's variables: no Az.Accounts context (cmdlets that do not sign in to ARM).
        [switch]$EnvironmentOnly
    )
    $callContext = Get-AzTokenBridgeCallContext -DefaultProfile $DefaultProfile -EnvironmentOnly:$EnvironmentOnly
    $request = Send-AzTokenBridgeRequest -Cmdlet $Cmdlet -Method $Method -Params $Params -CallContext $callContext
    Receive-AzTokenBridgeResponse -Cmdlet $Cmdlet -Request $request
}

function Send-AzTokenBridgeRequest {
    # Sends one request and returns at once with the request in flight: a hashtable that
    # Receive-AzTokenBridgeResponse waits on (or Stop-AzTokenBridgeRequest cancels); its Rpc is the
    # client's RpcRequest. A failure to send is kept in it (Failure, or Rpc.Failure) and reported by
    # Receive-AzTokenBridgeResponse.
    param(
        [System.Management.Automation.PSCmdlet]$Cmdlet,
        [Parameter(Mandatory)][string]$Method,
        [System.Collections.IDictionary]$Params = @{},
        $DefaultProfile,
        # The call context, when the caller captured it once for many requests; else read now.
        $CallContext
    )
    $request = @{ Method = $Method; Rpc = $null; Server = $null; Failure = $null; Progress = $null; Stopwatch = [System.Diagnostics.Stopwatch]::StartNew() }
    $request.DebugOn = $null -ne $Cmdlet -and $DebugPreference -ne 'SilentlyContinue' -and $DebugPreference -ne 'Ignore'
    if ($null -eq $CallContext) { $CallContext = Get-AzTokenBridgeCallContext -DefaultProfile $DefaultProfile }
    if ($CallContext -is [System.Exception]) { $request.Failure = $CallContext; return $request }
    # Trace lines from the server (each HTTP request it makes for the call) only when they can show:
    # -Verbose, -Debug or the preferences, as the cmdlet sees them (src/protocol.ts CallContext.trace).
    if ($null -ne $Cmdlet -and ($request.DebugOn -or ($VerbosePreference -ne 'SilentlyContinue' -and $VerbosePreference -ne 'Ignore'))) { $CallContext['trace'] = $true }
    elseif ($CallContext.Contains('trace')) { $CallContext.Remove('trace') }
    $Params['context'] = $CallContext
    $body = [AzTokenBridge.Client.PSJson]::Serialize($Params)
    for ($attempt = 1; $attempt -le 2; $attempt++) {
        # The live connection (the common case, checked here without further calls), else a new one.
        $conn = [AzTokenBridge.Client.ServerConnection]::Shared
        if ($null -eq $conn -or -not $conn.IsAlive) {
            $conn = Get-AzTokenBridgeConnection -Cmdlet $Cmdlet
            if ($conn -is [System.Exception]) { $request.Failure = $conn; return $request }
        }
        # Post: a request over the size limit, or one the server did not take, comes back finished
        # with its Failure (nothing thrown, nothing to catch).
        $rpc = $conn.Post($Method, $body, $request.DebugOn)
        $request.Rpc = $rpc
        $request.Server = $conn
        $notSent = $rpc.Failure
        if ($notSent -isnot [AzTokenBridge.Client.ServerConnectionException] -or $notSent.RequestSent) { break }
        # The server died before it got the request: nothing was done, so start a new one and send again once.
    }
    if ($request.DebugOn -and $null -ne $rpc.RequestJson) { $Cmdlet.WriteDebug("AzTokenBridge → $(Get-AzTokenBridgeRedactedText $rpc.RequestJson)") }
    $request
}

function Test-AzTokenBridgeRequestDone {
    # Whether Receive-AzTokenBridgeResponse would return at once.
    param($Request)
    $null -ne $Request.Failure -or $Request.Rpc.IsCompleted
}

function Stop-AzTokenBridgeRequest {
    # Cancels a request still in flight: the server drops it ($/cancelRequest) and aborts its HTTP call.
    param($Request)
    if ($null -ne $Request.Rpc) { $Request.Rpc.Cancel() }
}

function Receive-AzTokenBridgeResponse {
    # Waits for the answer to a request from Send-AzTokenBridgeRequest, in short slices so that a
    # stop gets through (and cancels the request), writing the server's notifications about it
    # between slices. Returns @{ Result; Failure }. $Window: the request is one of a window's
    # (module/Private/Window.ps1), which completes the progress bar itself.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [Parameter(Mandatory)]$Request, $Window)
    $Method = $Request.Method
    $failure = $Request.Failure
    if ($null -ne $failure) { return @{ Result = $null; Failure = $failure } }
    $rpc = $Request.Rpc
    $completed = $false
    try {
        # The client fails the request itself when the server exits or stops answering.
        while (-not $rpc.Wait(100)) { Write-AzTokenBridgeNotifications $Cmdlet $Request $Window }
        $completed = $true
    } finally {
        # Stopped (Ctrl+C, a downstream Select-Object -First): tell the server to drop the call.
        if (-not $completed) { $rpc.Cancel() }
    }
    # What came with the answer (the server sends nothing after it), then the end of its progress.
    if ($rpc.HasNotifications) { Write-AzTokenBridgeNotifications $Cmdlet $Request $Window }
    if ($null -ne $Request.Progress) { Complete-AzTokenBridgeProgress $Cmdlet $Request.Progress; $Request.Progress = $null }
    $elapsed = [Math]::Round($Request.Stopwatch.Elapsed.TotalMilliseconds, 1)
    # What the server said about its own settings at start (a refused log file): once, as a warning.
    $server = $Request.Server
    $notice = $null
    while ($null -ne $Cmdlet -and $null -ne $server -and $server.TryDequeueNotice([ref]$notice)) {
        Write-AzTokenBridgeWarning $Cmdlet "AzTokenBridge server (process $($server.ProcessId)): $notice"
    }
    $failure = $rpc.Failure
    if ($null -ne $failure) {
        Write-AzTokenBridgeTrace $Cmdlet "AzTokenBridge: $Method failed in $elapsed ms."
        return @{ Result = $null; Failure = $failure }
    }
    if ($Request.DebugOn -and $null -ne $rpc.ResponseJson) { $Cmdlet.WriteDebug("AzTokenBridge ← $(Get-AzTokenBridgeRedactedText $rpc.ResponseJson)") }
    $rpcError = $rpc.Error
    if ($null -ne $rpcError) {
        Write-AzTokenBridgeTrace $Cmdlet "AzTokenBridge: $Method failed in $elapsed ms."
        $data = $rpcError.Data
        $errorObject = [pscustomobject]@{
            code    = [long]$rpcError.Code
            message = $rpcError.Message
            data    = [AzTokenBridge.Client.PSJson]::ToPS($data)
        }
        $ex = [System.InvalidOperationException]::new($rpcError.Message)
        $ex.Data['AzTokenBridge.RpcError'] = $errorObject
        return @{ Result = $null; Failure = $ex }
    }
    # The trace line only when it can show (a script call per warm call otherwise).
    $bound = if ($null -ne $Cmdlet) { $Cmdlet.MyInvocation.BoundParameters } else { $null }
    if ($null -ne $bound -and ($Request.DebugOn -or ($VerbosePreference -ne 'SilentlyContinue' -and $VerbosePreference -ne 'Ignore') -or $bound.ContainsKey('Verbose') -or $bound.ContainsKey('Debug'))) {
        Write-AzTokenBridgeTrace $Cmdlet "AzTokenBridge: $Method completed in $elapsed ms."
    }
    @{ Result = [AzTokenBridge.Client.PSJson]::ToPS($rpc.Result); Failure = $null }
}
