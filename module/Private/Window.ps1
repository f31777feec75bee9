# Window: how a cmdlet keeps several requests in flight while it takes its pipeline input.
#
#   begin   { $window = New-AzTokenBridgeWindow -Limit $ThrottleLimit }
#   process { ...checks...
#             foreach ($item in (Wait-AzTokenBridgeWindowRoom $PSCmdlet $window)) { <write $item> }
#             $request = Send-AzTokenBridgeRequest ...
#             foreach ($item in (Add-AzTokenBridgeWindowItem $PSCmdlet $window $request $state)) { <write $item> } }
#   end     { foreach ($item in (Complete-AzTokenBridgeWindow $window)) { <write $item> } }
#   clean   { Stop-AzTokenBridgeWindow $window }
#
# - `process` sends its request and returns for the next input; the answers are written in input
#   order, as soon as the oldest one is in: a full window (Limit requests in flight) waits for its
#   oldest request, and finished requests at the head are written without waiting.
# - Each returned item is @{ Request; State; Call }: State is what the cmdlet kept of the input,
#   Call the answer (@{ Result; Failure }) from Receive-AzTokenBridgeResponse.
# - A stop (Ctrl+C, a downstream Select-Object -First, -ErrorAction Stop on an earlier input) skips
#   `end` but runs `clean`, which cancels every request still in flight ($/cancelRequest).
# - Memory is bounded by Limit, however many inputs are piped.

# The window when a cmdlet is not given -ThrottleLimit: $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16.
function Get-AzTokenBridgeDefaultThrottleLimit {
    $value = 0
    if ([int]::TryParse([string]$env:AZTOKENBRIDGE_THROTTLE_LIMIT, [ref]$value) -and $value -ge 1) { return [Math]::Min($value, 256) }
    16
}

function New-AzTokenBridgeWindow {
    param([int]$Limit)
    if ($Limit -lt 1) { $Limit = Get-AzTokenBridgeDefaultThrottleLimit }
    @{ Queue = [System.Collections.Generic.Queue[hashtable]]::new(); Limit = $Limit }
}

function Wait-AzTokenBridgeWindowRoom {
    # Before sending: while the window is full, waits for its oldest request; returns the items
    # answered meanwhile, ready to write.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window)
    while ($Window.Queue.Count -ge $Window.Limit) { Receive-AzTokenBridgeWindowHead $Cmdlet $Window }
}

function Add-AzTokenBridgeWindowItem {
    # Queues a sent request with the cmdlet's state for its input; returns the items already
    # answered at the head of the window, ready to write (it does not wait).
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window, $Request, $State)
    $Window.Queue.Enqueue(@{ Request = $Request; State = $State; Call = $null })
    while ($Window.Queue.Count -gt 0 -and (Test-AzTokenBridgeRequestDone $Window.Queue.Peek().Request)) {
        Receive-AzTokenBridgeWindowHead $Cmdlet $Window
    }
}

function Complete-AzTokenBridgeWindow {
    # The end of the input: every item left, in order, each as its answer comes.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window)
    while ($Window.Queue.Count -gt 0) { Receive-AzTokenBridgeWindowHead $Cmdlet $Window }
}

function Receive-AzTokenBridgeWindowHead {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window)
    $head = $Window.Queue.Peek()
    # Waits here (in slices) if it is not in yet. Dequeued only once answered: a stop while waiting
    # leaves it in the queue, for Stop-AzTokenBridgeWindow to cancel with the others.
    $head.Call = Receive-AzTokenBridgeResponse -Cmdlet $Cmdlet -Request $head.Request
    $null = $Window.Queue.Dequeue()
    $head
}

function Stop-AzTokenBridgeWindow {
    # `clean`: cancels whatever is still in flight (nothing after a normal end).
    param($Window)
    if ($null -eq $Window) { return }
    while ($Window.Queue.Count -gt 0) { Stop-AzTokenBridgeRequest $Window.Queue.Dequeue().Request }
}
