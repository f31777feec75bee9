# Window: how a cmdlet keeps several inputs in flight while it takes its pipeline input. The work
# (the queue, waiting, the server's notifications, answers turned into PowerShell values, trace and
# -Debug lines) is the client's: module/Client/CallWindow.cs. What stays in script is what must:
# writing each answered input as the cmdlet's own output.
#
#   begin   { $window = New-AzTokenBridgeWindow $PSCmdlet -Limit $ThrottleLimit -Writer ${function:Write-…} [-ProgressCount 'tokens created'] }
#   process { ...checks (a refused input: Add-AzTokenBridgeWindowError $PSCmdlet $window $errorRecord, written in its place)...
#             Send-AzTokenBridgeWindowCall $PSCmdlet $window -Method … -Params … -CallContext … -State … }
#   end     { Complete-AzTokenBridgeWindow $PSCmdlet $window }
#   clean   { Stop-AzTokenBridgeWindow $window }
#
# - `process` sends its input's request and returns for the next input; the inputs are written in
#   input order, as soon as the oldest one is finished: a full window (Limit inputs in flight) waits
#   for its oldest input, and finished inputs at the head are written without waiting.
# - Writing is `& $Writer $Cmdlet $Item` for each item the window hands back, the moment it can be
#   written (not collected: an error under -ErrorAction Stop stops at once). An item (CallItem) has
#   State (what the cmdlet kept of the input), Result (the answer as PowerShell values) or Failure.
#   Each input is one request: work that takes several calls to Azure (a long-running operation
#   and its polls) runs in the server (src/acr/handlers.ts).
# - A Writer (and every cmdlet of the module) emits its objects as the function's pipeline output,
#   never $Cmdlet.WriteObject(…) (issue Z item 2). An exception thrown by a later pipeline stage
#   (`| ForEach-Object { throw }`) comes back out of the write: through .NET's WriteObject called from
#   script it arrives as a MethodInvocationException that ends only that statement, so the cmdlet
#   went on with every input and the script exited 0; emitted, it is the downstream's own exception
#   and ends the cmdlet at once (`clean` cancels what is in flight), the statement and a
#   `pwsh -File` script (exit 1), as it does a compiled cmdlet. The window and its callers therefore
#   never capture output ($x = …, $null = …) on the way from the Writer to the cmdlet's `process`/`end`.
# - A stop (Ctrl+C, a downstream Select-Object -First, -ErrorAction Stop on an earlier input) skips
#   `end` but runs `clean`, which cancels every request still in flight ($/cancelRequest): the
#   server stops their work, polls included. The client's waits return when the cmdlet is stopping,
#   and the loops below go round once more, where the engine stops them.
# - Memory is bounded by Limit, however many inputs are piped.

# The window when a cmdlet is not given -ThrottleLimit: $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16.
function Get-AzTokenBridgeDefaultThrottleLimit {
    $value = 0
    if ([int]::TryParse([string]$env:AZTOKENBRIDGE_THROTTLE_LIMIT, [ref]$value) -and $value -ge 1) { return [Math]::Min($value, 256) }
    16
}

# The notification methods and the -Debug tables in the client's form, made on first use.
$script:ClientNotificationMethods = $null
$script:DebugRedaction = $null

function New-AzTokenBridgeWindow {
    # $Cmdlet: the cmdlet the window writes for; $null (argument completers) writes nothing. The
    # preferences are read here, as the cmdlet sees them (its own, or its caller's: Preferences.ps1).
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [int]$Limit, [scriptblock]$Writer, [string]$ProgressCount)
    if ($Limit -lt 1) { $Limit = Get-AzTokenBridgeDefaultThrottleLimit }
    if ($null -eq $script:ClientNotificationMethods) { $script:ClientNotificationMethods = [AzTokenBridge.Client.NotificationMethods]::new($script:NotificationMethods) }
    $debugOn = $null -ne $Cmdlet -and $DebugPreference -ne 'SilentlyContinue' -and $DebugPreference -ne 'Ignore'
    $verboseOn = $VerbosePreference -ne 'SilentlyContinue' -and $VerbosePreference -ne 'Ignore'
    $redaction = if ($debugOn) { Get-AzTokenBridgeDebugRedaction }
    [AzTokenBridge.Client.CallWindow]::new($Cmdlet, $Limit, $Writer, $ProgressCount, $debugOn, $verboseOn, $script:ClientNotificationMethods, $redaction)
}

function Get-AzTokenBridgeDebugRedaction {
    # -Debug prints a message's strings only under fields known not to be secret (src/protocol.ts
    # DEBUG_VISIBLE_FIELDS and the visible SESSION_VARIABLES, via Protocol.generated.ps1); every
    # other string is ***. Made when -Debug first needs it.
    if ($null -eq $script:DebugRedaction) {
        $visible = [System.Collections.Generic.HashSet[string]]::new([string[]]$script:DebugVisibleFields, [System.StringComparer]::Ordinal)
        $prefixes = [System.Collections.Generic.List[string]]::new()
        foreach ($entry in $script:SessionVariables.GetEnumerator()) {
            if (-not $entry.Value) { continue }
            if ($entry.Key.EndsWith('*')) { $prefixes.Add($entry.Key.TrimEnd('*')) } else { [void]$visible.Add($entry.Key) }
        }
        $url = [System.Collections.Generic.HashSet[string]]::new([string[]]$script:DebugUrlFields, [System.StringComparer]::Ordinal)
        $script:DebugRedaction = [AzTokenBridge.Client.DebugRedaction]::new($visible, $prefixes.ToArray(), $url)
    }
    $script:DebugRedaction
}

function Send-AzTokenBridgeWindowCall {
    # One input: waits for room (writing the inputs finished meanwhile, before this one's request
    # goes), sends its request, then writes the inputs finished at the head. $CallContext is the
    # invocation's (Get-AzTokenBridgeCallContext, read once in `begin`), or the exception that kept
    # it from being read: then the input fails with it, in its place.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window, [string]$Method, [System.Collections.IDictionary]$Params, $CallContext, $State)
    do {
        foreach ($item in $Window.WaitForRoom()) {
            if ($null -ne $item.ErrorRecord) { Write-AzTokenBridgeErrorRecord $Cmdlet $item.ErrorRecord } else { & $Window.Writer $Cmdlet $item }
        }
    } until ($Window.HasRoom)
    Submit-AzTokenBridgeCall $Cmdlet $Window $Method $Params $CallContext $State
    foreach ($item in $Window.TakeReady()) {
        if ($null -ne $item.ErrorRecord) { Write-AzTokenBridgeErrorRecord $Cmdlet $item.ErrorRecord } else { & $Window.Writer $Cmdlet $item }
    }
}

function Submit-AzTokenBridgeCall {
    # Sends a request into the window on the live connection, started (again) when there is none;
    # a request the server did not take (it died before it got it: nothing was done) is sent once
    # more on a new one. A failure to start or to send is queued as the input's Failure.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window, [string]$Method, [System.Collections.IDictionary]$Params, $CallContext, $State)
    if ($CallContext -is [System.Exception]) { $Window.AddFailure($CallContext, $State); return }
    for ($attempt = 1; $attempt -le 2; $attempt++) {
        # The live connection (the common case, checked here without further calls), else a new one.
        $conn = [AzTokenBridge.Client.ServerConnection]::Shared
        if ($null -eq $conn -or -not $conn.IsAlive) {
            $conn = Get-AzTokenBridgeConnection -Cmdlet $Cmdlet
            if ($conn -is [System.Exception]) { $Window.AddFailure($conn, $State); return }
        }
        if ($Window.Send($conn, $Method, $Params, $CallContext, $State, $attempt -eq 2)) { return }
    }
}

function Complete-AzTokenBridgeWindow {
    # The end of the input: every item left, in order, each as it finishes.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window)
    while ($Window.Count -gt 0) {
        foreach ($item in $Window.WaitNext()) {
            if ($null -ne $item.ErrorRecord) { Write-AzTokenBridgeErrorRecord $Cmdlet $item.ErrorRecord } else { & $Window.Writer $Cmdlet $item }
        }
    }
}

function Stop-AzTokenBridgeWindow {
    # `clean`: cancels whatever is still in flight (nothing after a normal end).
    param($Window)
    if ($null -ne $Window) { $Window.Stop() }
}

function Invoke-AzTokenBridgeRpc {
    # Calls one server method and waits for its answer. Returns the answered item: Result is the
    # method's result as PowerShell values; Failure an exception (a JSON-RPC error carries it in
    # Data['AzTokenBridge.RpcError']; see New-AzTokenBridgeErrorRecord in Errors.ps1).
    #
    # Expected failures are returned, not thrown: an exception thrown and caught inside a script
    # function still lands in the caller's -ErrorVariable and $Error, so one failed call would show
    # up there several times. Only a stop (Ctrl+C) propagates, and cancels the request.
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
    $window = New-AzTokenBridgeWindow $Cmdlet -Limit 1
    Submit-AzTokenBridgeCall $Cmdlet $window $Method $Params $callContext $null
    $answer = $null
    $completed = $false
    try {
        while ($null -eq $answer) { foreach ($item in $window.WaitNext()) { $answer = $item } }
        $completed = $true
    } finally {
        # Stopped (Ctrl+C, a downstream Select-Object -First): tell the server to drop the call.
        if (-not $completed) { $window.Stop() }
    }
    $answer
}

function Add-AzTokenBridgeWindowError {
    # An input refused before any call: its ErrorRecord is written in its place among the others
    # (at once when nothing is in flight before it).
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window, [System.Management.Automation.ErrorRecord]$ErrorRecord)
    $Window.AddError($ErrorRecord)
    foreach ($item in $Window.TakeReady()) {
        if ($null -ne $item.ErrorRecord) { Write-AzTokenBridgeErrorRecord $Cmdlet $item.ErrorRecord } else { & $Window.Writer $Cmdlet $item }
    }
}

function Write-AzTokenBridgeTrace {
    # A trace line ("AzTokenBridge: …"): verbose output, or debug output under -Debug without
    # -Verbose (the rule is the client's: module/Client/CallWindow.cs Trace).
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Message)
    [AzTokenBridge.Client.CallWindow]::Trace($Cmdlet, $Message)
}
