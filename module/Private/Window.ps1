# Window: how a cmdlet keeps several inputs in flight while it takes its pipeline input.
#
#   begin   { $window = New-AzTokenBridgeWindow -Limit $ThrottleLimit -Writer ${function:Write-…} [-ProgressCount 'tokens created'] }
#   process { ...checks...
#             Wait-AzTokenBridgeWindowRoom $PSCmdlet $window
#             $request = Send-AzTokenBridgeRequest ...
#             Add-AzTokenBridgeWindowItem $PSCmdlet $window $request $state }
#   end     { Complete-AzTokenBridgeWindow $PSCmdlet $window }
#   clean   { Stop-AzTokenBridgeWindow $window }
#
# - `process` sends its input's request and returns for the next input; the inputs are written in
#   input order, as soon as the oldest one is finished: a full window (Limit inputs in flight) waits
#   for its oldest input, and finished inputs at the head are written without waiting.
# - Writing is `& $Writer $Cmdlet $Item`, called by the window the moment an item can be written
#   (not collected: an error under -ErrorAction Stop stops at once). An item is @{ Request; State;
#   Call; Done }: State is what the cmdlet kept of the input, Call the answer (@{ Result; Failure })
#   from Receive-AzTokenBridgeResponse. Each input is one request: work that takes several calls
#   to Azure (a long-running operation and its polls) runs in the server (src/acr/handlers.ts).
# - While the window waits, the server's notifications about every request in it are written
#   (Write-AzTokenBridgeNotifications, module/Private/Rpc.ps1): progress shares one bar, with
#   "(written of taken <ProgressCount>)" when inputs are piped, completed when the window is empty.
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
#   server stops their work, polls included.
# - Memory is bounded by Limit, however many inputs are piped.

# The window when a cmdlet is not given -ThrottleLimit: $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16.
function Get-AzTokenBridgeDefaultThrottleLimit {
    $value = 0
    if ([int]::TryParse([string]$env:AZTOKENBRIDGE_THROTTLE_LIMIT, [ref]$value) -and $value -ge 1) { return [Math]::Min($value, 256) }
    16
}

function New-AzTokenBridgeWindow {
    param([int]$Limit, [Parameter(Mandatory)][scriptblock]$Writer, [string]$ProgressCount)
    if ($Limit -lt 1) { $Limit = Get-AzTokenBridgeDefaultThrottleLimit }
    @{
        Queue = [System.Collections.Generic.Queue[hashtable]]::new(); Limit = $Limit; Writer = $Writer
        # Inputs taken and written so far, and the progress bar shown from notifications (to complete).
        Added = 0; Written = 0; ProgressCount = $ProgressCount; Progress = $null
    }
}

function Wait-AzTokenBridgeWindowRoom {
    # Before sending: while the window is full, waits for its oldest input (writing the items
    # finished meanwhile).
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window)
    while ($true) {
        Update-AzTokenBridgeWindow $Cmdlet $Window
        if ($Window.Queue.Count -lt $Window.Limit) { return }
        Wait-AzTokenBridgeWindowEvent $Cmdlet $Window
    }
}

function Add-AzTokenBridgeWindowItem {
    # Queues an input: its sent request with the cmdlet's state; writes the items already finished at the head of the window (it does not wait).
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window, $Request, $State)
    $Window.Queue.Enqueue(@{ Request = $Request; State = $State; Call = $null; Done = $false; ErrorRecord = $null })
    $Window.Added++
    Update-AzTokenBridgeWindow $Cmdlet $Window
}

function Add-AzTokenBridgeWindowError {
    # An input refused before any call: its ErrorRecord is written in its place among the others.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window, [System.Management.Automation.ErrorRecord]$ErrorRecord)
    $Window.Queue.Enqueue(@{ Request = $null; State = $null; Call = $null; Done = $true; ErrorRecord = $ErrorRecord })
    $Window.Added++
    Update-AzTokenBridgeWindow $Cmdlet $Window
}

function Complete-AzTokenBridgeWindow {
    # The end of the input: every item left, in order, each as it finishes.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window)
    while ($true) {
        Update-AzTokenBridgeWindow $Cmdlet $Window
        if ($Window.Queue.Count -eq 0) { return }
        Wait-AzTokenBridgeWindowEvent $Cmdlet $Window
    }
}

function Update-AzTokenBridgeWindow {
    # Writes the server's notifications about the inputs in flight, then the finished items at the
    # head, in order (only the head can be written, so only it is read).
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window)
    foreach ($item in $Window.Queue) {
        $r = $item.Request
        if ($null -ne $r -and $null -ne $r.Rpc -and $r.Rpc.HasNotifications) { Write-AzTokenBridgeNotifications $Cmdlet $r $Window }
    }
    while ($Window.Queue.Count -gt 0) {
        $head = $Window.Queue.Peek()
        if (-not $head.Done) {
            if (-not (Test-AzTokenBridgeRequestDone $head.Request)) { return }
            $head.Call = Receive-AzTokenBridgeResponse -Cmdlet $Cmdlet -Request $head.Request -Window $Window
            $head.Request = $null
            $head.Done = $true
        }
        $null = $Window.Queue.Dequeue()
        $Window.Written++
        # The last one in flight: the progress bar is done before it is written (an error under
        # -ErrorAction Stop ends the cmdlet here).
        if ($Window.Queue.Count -eq 0 -and $null -ne $Window.Progress) { Complete-AzTokenBridgeProgress $Cmdlet $Window.Progress; $Window.Progress = $null }
        if ($null -ne $head.ErrorRecord) { Write-AzTokenBridgeErrorRecord $Cmdlet $head.ErrorRecord } else { & $Window.Writer $Cmdlet $head }
    }
}

function Wait-AzTokenBridgeWindowEvent {
    # One wait slice (at most 100 ms): until the head's answer comes in.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window)
    $rpc = $Window.Queue.Peek().Request.Rpc
    if ($null -ne $rpc) { $null = $rpc.Wait(100) }
}

function Stop-AzTokenBridgeWindow {
    # `clean`: cancels whatever is still in flight (nothing after a normal end).
    param($Window)
    if ($null -eq $Window) { return }
    while ($Window.Queue.Count -gt 0) {
        $item = $Window.Queue.Dequeue()
        if ($null -ne $item.Request) { Stop-AzTokenBridgeRequest $item.Request }
    }
}
