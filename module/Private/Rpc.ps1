# Protocol: calling a method on the server and turning its answer into PowerShell values or an
# ErrorRecord. Method names and payloads are defined in src/protocol.ts.

# Names of JSON fields whose values are secrets: redacted from -Debug output.
$script:SecretField = [regex]::new('(?i)(secret|password|assertion|privatekey|primarykey|secondarykey|(^|[a-z_])token$|^token|^authorization$)')

# Session environment variables a call depends on (sign-in, endpoints, trusted CAs).
$script:ContextVariable = [regex]::new('^(AZURE_|AZTOKENBRIDGE_|IDENTITY_|MSI_|NODE_EXTRA_CA_CERTS$)', 'IgnoreCase')

function Write-AzTokenBridgeJsonValue {
    param([System.Text.Json.Utf8JsonWriter]$Writer, $Value)
    if ($Value -is [psobject]) { $Value = $Value.psobject.BaseObject }
    if ($null -eq $Value) { $Writer.WriteNullValue() }
    elseif ($Value -is [string] -or $Value -is [char] -or $Value -is [enum] -or $Value -is [guid]) { $Writer.WriteStringValue([string]$Value) }
    elseif ($Value -is [bool]) { $Writer.WriteBooleanValue($Value) }
    elseif ($Value -is [int] -or $Value -is [long] -or $Value -is [short] -or $Value -is [byte]) { $Writer.WriteNumberValue([long]$Value) }
    elseif ($Value -is [double] -or $Value -is [float] -or $Value -is [decimal]) { $Writer.WriteNumberValue([double]$Value) }
    elseif ($Value -is [datetime]) { $Writer.WriteStringValue($Value.ToString('o', [cultureinfo]::InvariantCulture)) }
    elseif ($Value -is [System.Collections.IDictionary]) {
        $Writer.WriteStartObject()
        foreach ($entry in $Value.GetEnumerator()) {
            $Writer.WritePropertyName([string]$entry.Key)
            Write-AzTokenBridgeJsonValue $Writer $entry.Value
        }
        $Writer.WriteEndObject()
    }
    elseif ($Value -is [System.Collections.IEnumerable]) {
        $Writer.WriteStartArray()
        foreach ($item in $Value) { Write-AzTokenBridgeJsonValue $Writer $item }
        $Writer.WriteEndArray()
    }
    else {
        $Writer.WriteStartObject()
        foreach ($p in ([psobject]$Value).psobject.Properties) {
            $Writer.WritePropertyName($p.Name)
            Write-AzTokenBridgeJsonValue $Writer $p.Value
        }
        $Writer.WriteEndObject()
    }
}

function ConvertTo-AzTokenBridgeJsonBytes {
    param($Value)
    $buffer = [System.Buffers.ArrayBufferWriter[byte]]::new(512)
    $writer = [System.Text.Json.Utf8JsonWriter]::new($buffer)
    try { Write-AzTokenBridgeJsonValue $writer $Value; $writer.Flush() } finally { $writer.Dispose() }
    $buffer.WrittenMemory.ToArray()
}

function ConvertFrom-AzTokenBridgeJsonElement {
    # JsonElement → PowerShell: objects become PSCustomObjects, arrays object[], strings stay
    # strings (no date guessing), numbers long or double.
    param([System.Text.Json.JsonElement]$Element)
    switch ($Element.ValueKind) {
        'Object' {
            $h = [ordered]@{}
            foreach ($p in $Element.EnumerateObject()) { $h[$p.Name] = ConvertFrom-AzTokenBridgeJsonElement $p.Value }
            return [pscustomobject]$h
        }
        'Array' {
            $list = [System.Collections.Generic.List[object]]::new()
            foreach ($item in $Element.EnumerateArray()) { $list.Add((ConvertFrom-AzTokenBridgeJsonElement $item)) }
            return , $list.ToArray()
        }
        'String' { return $Element.GetString() }
        'Number' { $l = 0L; if ($Element.TryGetInt64([ref]$l)) { return $l } else { return $Element.GetDouble() } }
        'True' { return $true }
        'False' { return $false }
        default { return $null }
    }
}

function Write-AzTokenBridgeRedactedJson {
    param([System.Text.Json.Utf8JsonWriter]$Writer, [System.Text.Json.JsonElement]$Element)
    switch ($Element.ValueKind) {
        'Object' {
            $Writer.WriteStartObject()
            foreach ($p in $Element.EnumerateObject()) {
                if ($script:SecretField.IsMatch($p.Name) -and $p.Value.ValueKind -eq 'String') {
                    $Writer.WriteString($p.Name, '***')
                } else {
                    $Writer.WritePropertyName($p.Name)
                    Write-AzTokenBridgeRedactedJson $Writer $p.Value
                }
            }
            $Writer.WriteEndObject()
        }
        'Array' {
            $Writer.WriteStartArray()
            foreach ($item in $Element.EnumerateArray()) { Write-AzTokenBridgeRedactedJson $Writer $item }
            $Writer.WriteEndArray()
        }
        default { $Element.WriteTo($Writer) }
    }
}

function Get-AzTokenBridgeRedactedText {
    # A message as text for -Debug, with the values of secret fields replaced by ***.
    param([byte[]]$Bytes)
    $doc = [System.Text.Json.JsonDocument]::Parse([System.ReadOnlyMemory[byte]]::new($Bytes), [System.Text.Json.JsonDocumentOptions]::new())
    try {
        $buffer = [System.Buffers.ArrayBufferWriter[byte]]::new(512)
        $writer = [System.Text.Json.Utf8JsonWriter]::new($buffer)
        try { Write-AzTokenBridgeRedactedJson $writer $doc.RootElement; $writer.Flush() } finally { $writer.Dispose() }
        [System.Text.Encoding]::UTF8.GetString($buffer.WrittenMemory.ToArray())
    } finally {
        $doc.Dispose()
    }
}

function Get-AzTokenBridgeCallContext {
    # What sign-in and endpoint selection depend on, read from the session on every call.
    $envVars = [ordered]@{}
    foreach ($entry in [System.Environment]::GetEnvironmentVariables().GetEnumerator()) {
        if ($script:ContextVariable.IsMatch($entry.Key)) { $envVars[$entry.Key] = [string]$entry.Value }
    }
    @{ env = $envVars }
}

function Invoke-AzTokenBridgeRpc {
    # Calls one server method and returns its result as PowerShell values. A JSON-RPC error is
    # thrown as an exception carrying the error (see New-AzTokenBridgeErrorRecord).
    param(
        [Parameter(Mandatory)][System.Management.Automation.PSCmdlet]$Cmdlet,
        [Parameter(Mandatory)][string]$Method,
        [System.Collections.IDictionary]$Params = @{}
    )
    $Params['context'] = Get-AzTokenBridgeCallContext
    $debugOn = $DebugPreference -ne 'SilentlyContinue' -and $DebugPreference -ne 'Ignore'
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $conn = $null; $id = 0L; $tcs = $null; $completed = $false
    for ($attempt = 1; $attempt -le 2; $attempt++) {
        $conn = Get-AzTokenBridgeConnection -Cmdlet $Cmdlet
        $id = New-AzTokenBridgeRequestId $conn
        $body = ConvertTo-AzTokenBridgeJsonBytes ([ordered]@{ jsonrpc = '2.0'; id = $id; method = $Method; params = $Params })
        if ($debugOn) { $Cmdlet.WriteDebug("AzTokenBridge → $(Get-AzTokenBridgeRedactedText $body)") }
        $tcs = [System.Threading.Tasks.TaskCompletionSource[object]]::new([System.Threading.Tasks.TaskCreationOptions]::RunContinuationsAsynchronously)
        $conn.Pending[$id] = $tcs
        try {
            Send-AzTokenBridgeFrame $conn $body
            break
        } catch {
            $null = $conn.Pending.TryRemove($id, [ref]$null)
            $cause = $_.Exception
            if ($cause -is [System.Management.Automation.MethodInvocationException] -and $cause.InnerException) { $cause = $cause.InnerException }
            if (-not ($cause -is [System.IO.IOException] -or $cause -is [System.ObjectDisposedException])) { throw }
            # The server died before it got the request: nothing was done, so start a new one and resend once.
            $conn.Dead = $true
            if ($attempt -eq 2) { throw $cause }
        }
    }
    $task = $tcs.Task
    try {
        while (-not $task.AsyncWaitHandle.WaitOne(100)) {
            if (($conn.Dead -or $conn.ReaderResult.IsCompleted) -and $conn.Pending.TryRemove($id, [ref]$null)) {
                $reason = $conn.DeathReason
                if (-not $reason) { $reason = "The AzTokenBridge reader stopped: $($conn.Reader.InvocationStateInfo.Reason)" }
                throw [System.IO.IOException]::new($reason)
            }
        }
        $completed = $true
    } finally {
        if (-not $completed) {
            # Stopped (Ctrl+C, a downstream Select-Object -First) or failed: tell the server to drop it.
            if ($conn.Pending.TryRemove($id, [ref]$null) -and -not $conn.Dead) {
                try {
                    Send-AzTokenBridgeFrame $conn (ConvertTo-AzTokenBridgeJsonBytes ([ordered]@{ jsonrpc = '2.0'; method = '$/cancelRequest'; params = @{ id = $id } }))
                } catch { }
            }
        }
    }
    if ($task.IsFaulted) { throw $task.Exception.InnerException }
    $doc = $task.Result
    try {
        $elapsed = [Math]::Round($sw.Elapsed.TotalMilliseconds, 1)
        $root = $doc.RootElement
        if ($debugOn) { $Cmdlet.WriteDebug("AzTokenBridge ← $(Get-AzTokenBridgeRedactedText ([System.Text.Encoding]::UTF8.GetBytes($root.GetRawText())))") }
        $errorElement = [System.Text.Json.JsonElement]::new()
        if ($root.TryGetProperty('error', [ref]$errorElement)) {
            $Cmdlet.WriteVerbose("AzTokenBridge: $Method failed in $elapsed ms.")
            $rpcError = ConvertFrom-AzTokenBridgeJsonElement $errorElement
            $ex = [System.InvalidOperationException]::new([string]$rpcError.message)
            $ex.Data['AzTokenBridge.RpcError'] = $rpcError
            throw $ex
        }
        $Cmdlet.WriteVerbose("AzTokenBridge: $Method completed in $elapsed ms.")
        $resultElement = [System.Text.Json.JsonElement]::new()
        if ($root.TryGetProperty('result', [ref]$resultElement)) { return ConvertFrom-AzTokenBridgeJsonElement $resultElement }
    } finally {
        $doc.Dispose()
    }
}
