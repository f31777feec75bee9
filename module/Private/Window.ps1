# Window: how a cmdlet keeps several inputs in flight while it takes its pipeline input.
#
#   begin   { $window = New-AzTokenBridgeWindow -Limit $ThrottleLimit -Writer ${function:Write-…} [-Step ${function:…}] [-Waiting ${function:…}] }
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
#   Call; Done; DueAt }: State is what the cmdlet kept of the input, Call the last answer
#   (@{ Result; Failure }) from Receive-AzTokenBridgeResponse.
# - A Writer (and every cmdlet of the module) emits its objects as the function's pipeline output,
#   never $Cmdlet.WriteObject(…) (issue Z item 2). An exception thrown by a later pipeline stage
#   (`| ForEach-Object { throw }`) comes back out of the write: through .NET's WriteObject called from
#   script it arrives as a MethodInvocationException that ends only that statement, so the cmdlet
#   went on with every input and the script exited 0; emitted, it is the downstream's own exception
#   and ends the cmdlet at once (`clean` cancels what is in flight), the statement and a
#   `pwsh -File` script (exit 1), as it does a compiled cmdlet. The window and its callers therefore
#   never capture output ($x = …, $null = …) on the way from the Writer to the cmdlet's `process`/`end`.
# - An input that takes several requests (a long-running operation: begin, wait, poll, …, get) has
#   a Step: the window calls `& $Step $Cmdlet $Window $Item` each time one of the item's requests is
#   answered (Call set) or its wait is over (DueAt reached, Call $null). The step either sends the
#   next request ($Item.Request = Send-AzTokenBridgeRequest …), or waits ($Item.DueAt =
#   $Window.Clock.ElapsedMilliseconds + ms), or finishes ($Item.Done = $true). Every input in the
#   window moves on its own, the polls included; only the writing waits for the head.
#   Without a Step, an input is finished when its one request is answered.
# - Waiting (-Waiting) is called in every wait slice (≤ 100 ms) while the window waits: progress.
# - A stop (Ctrl+C, a downstream Select-Object -First, -ErrorAction Stop on an earlier input) skips
#   `end` but runs `clean`, which cancels every request still in flight ($/cancelRequest); inputs
#   that were waiting to poll send nothing more.
# - Memory is bounded by Limit, however many inputs are piped.

# The window when a cmdlet is not given -ThrottleLimit: $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16.
function Get-AzTokenBridgeDefaultThrottleLimit {
    $value = 0
    if ([int]::TryParse([string]$env:AZTOKENBRIDGE_THROTTLE_LIMIT, [ref]$value) -and $value -ge 1) { return [Math]::Min($value, 256) }
    16
}

function New-AzTokenBridgeWindow {
    param([int]$Limit, [Parameter(Mandatory)][scriptblock]$Writer, [scriptblock]$Step, [scriptblock]$Waiting)
    if ($Limit -lt 1) { $Limit = Get-AzTokenBridgeDefaultThrottleLimit }
    @{
        Queue = [System.Collections.Generic.Queue[hashtable]]::new(); Limit = $Limit
        Writer = $Writer; Step = $Step; Waiting = $Waiting; Clock = [System.Diagnostics.Stopwatch]::StartNew()
        # Inputs taken and written so far (for progress).
        Added = 0; Written = 0
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
    $Window.Queue.Enqueue(@{ Request = $Request; State = $State; Call = $null; Done = $false; DueAt = -1L; ErrorRecord = $null })
    $Window.Added++
    Update-AzTokenBridgeWindow $Cmdlet $Window
}

function Add-AzTokenBridgeWindowError {
    # An input refused before any call: its ErrorRecord is written in its place among the others.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window, [System.Management.Automation.ErrorRecord]$ErrorRecord)
    $Window.Queue.Enqueue(@{ Request = $null; State = $null; Call = $null; Done = $true; DueAt = -1L; ErrorRecord = $ErrorRecord })
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
    # Moves every input on as far as it can without waiting, then writes the finished items at
    # the head, in order. Without a Step only the head can be finished in order, so only it is read.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window)
    if ($null -ne $Window.Step) {
        foreach ($item in $Window.Queue) {
            # An item moves until it waits: an answer may be in already for the request it just sent.
            while (-not $item.Done) {
                if ($null -ne $item.Request) {
                    if (-not (Test-AzTokenBridgeRequestDone $item.Request)) { break }
                    $item.Call = Receive-AzTokenBridgeResponse -Cmdlet $Cmdlet -Request $item.Request
                    $item.Request = $null
                } elseif ($item.DueAt -ge 0 -and $Window.Clock.ElapsedMilliseconds -ge $item.DueAt) {
                    $item.DueAt = -1L
                    $item.Call = $null
                } else {
                    break
                }
                & $Window.Step $Cmdlet $Window $item
                # A step that neither sends, nor waits, has finished its input.
                if ($null -eq $item.Request -and $item.DueAt -lt 0) { $item.Done = $true }
            }
        }
    }
    while ($Window.Queue.Count -gt 0) {
        $head = $Window.Queue.Peek()
        if (-not $head.Done) {
            if ($null -ne $Window.Step -or -not (Test-AzTokenBridgeRequestDone $head.Request)) { return }
            $head.Call = Receive-AzTokenBridgeResponse -Cmdlet $Cmdlet -Request $head.Request
            $head.Request = $null
            $head.Done = $true
        }
        $null = $Window.Queue.Dequeue()
        $Window.Written++
        if ($null -ne $head.ErrorRecord) { Write-AzTokenBridgeErrorRecord $Cmdlet $head.ErrorRecord } else { & $Window.Writer $Cmdlet $head }
    }
}

function Wait-AzTokenBridgeWindowEvent {
    # One wait slice (at most 100 ms): until an answer comes in (the head's, without a Step; any
    # input's, with one) or the next input's wait is over.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window)
    if ($null -ne $Window.Waiting) { & $Window.Waiting $Cmdlet $Window }
    if ($null -eq $Window.Step) {
        $rpc = $Window.Queue.Peek().Request.Rpc
        if ($null -ne $rpc) { $null = $rpc.Wait(100) }
        return
    }
    # Over the requests' Completion tasks (WaitHandle.WaitAny takes at most 64 handles; the window
    # may hold 256).
    $slice = 100L
    $tasks = [System.Collections.Generic.List[System.Threading.Tasks.Task]]::new()
    foreach ($item in $Window.Queue) {
        if ($null -ne $item.Request) {
            if ($null -ne $item.Request.Rpc) { $tasks.Add($item.Request.Rpc.Completion) }
        } elseif ($item.DueAt -ge 0) {
            $slice = [Math]::Min($slice, [Math]::Max(0L, $item.DueAt - $Window.Clock.ElapsedMilliseconds))
        }
    }
    if ($slice -le 0) { return }
    if ($tasks.Count -gt 0) { $null = [System.Threading.Tasks.Task]::WaitAny($tasks.ToArray(), [int]$slice) }
    else { [System.Threading.Thread]::Sleep([int]$slice) }
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
