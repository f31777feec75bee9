# Errors: every failure becomes an ErrorRecord with a stable id, a category and the input as its
# target. Service errors read as the Az modules write them (Error Code / Error Message /
# Request Id / Error Details).

function Format-AzTokenBridgeInput {
    # Input quoted in a message the module makes: 'value', with control characters (C0, DEL, C1)
    # written as \u001b …, so that what is quoted cannot drive the terminal that shows the message
    # (the server does the same for its messages: src/rpc/errors.ts quote). Every such message uses it.
    # A value over 1024 characters is cut (a message quoting 100 KB helps no one).
    param([AllowNull()][AllowEmptyString()][string]$Value)
    $text = [string]$Value
    $cut = ''
    if ($text.Length -gt 1024) { $cut = "… ($($text.Length) characters)"; $text = $text.Substring(0, 1000) }
    $escaped = [regex]::Replace($text, '[\u0000-\u001f\u007f-\u009f]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
    "'$escaped$cut'"
}

function Format-AzTokenBridgeServiceError {
    # The text Az.ApiManagement puts in its exception message for a service error.
    param($Data, [string]$Message)
    $sb = [System.Text.StringBuilder]::new()
    [void]$sb.AppendLine()
    [void]$sb.AppendLine("Error Code: $(if ($Data.serviceCode) { $Data.serviceCode } else { $Data.errorId })")
    [void]$sb.Append("Error Message: $(if ($Data.serviceMessage) { $Data.serviceMessage } else { $Message })")
    if ($Data.requestId) { [void]$sb.AppendLine(); [void]$sb.Append("Request Id: $($Data.requestId)") }
    if ($Data.details) {
        [void]$sb.AppendLine()
        [void]$sb.Append('Error Details:')
        foreach ($d in $Data.details) { [void]$sb.AppendLine(); [void]$sb.Append("`t[Code= $($d.code), Message= $($d.message), Target= $($d.target)]") }
    }
    $sb.ToString()
}

function New-AzTokenBridgeErrorRecord {
    # Builds the ErrorRecord for an exception thrown by Invoke-AzTokenBridgeRpc (or any other).
    # -Style ContainerRegistry: a service error reads as Az.ContainerRegistry writes one (see
    # ConvertTo-AzTokenBridgeAcrServiceError); every other error as Az.ApiManagement's.
    param([Parameter(Mandatory)][System.Exception]$Exception, $Target, [string]$Style)
    $rpc = $Exception.Data['AzTokenBridge.RpcError']
    if ($null -eq $rpc) {
        # Failures found in the session, before or without the server.
        $category, $id = switch ($Exception) {
            { $_ -is [System.IO.IOException] } { 'ConnectionError', 'AzTokenBridgeServerExited'; break }
            # A request over the server's message limit, refused before sending (the message names the limit).
            { $_ -is [AzTokenBridge.Client.RpcMessageTooLargeException] } { 'LimitsExceeded', 'AzTokenBridgeRequestTooLarge'; break }
            { $_ -is [System.ArgumentException] } { 'InvalidArgument', 'InvalidDefaultProfile'; break }
            { $_ -is [System.Security.Authentication.AuthenticationException] } { 'AuthenticationError', 'AzContextTokenFailed'; break }
            default { 'NotSpecified', $Exception.GetType().Name }
        }
        return [System.Management.Automation.ErrorRecord]::new($Exception, $id, $category, $Target)
    }
    $data = $rpc.data
    if ($Style -eq 'ContainerRegistry' -and [int]$rpc.code -eq $script:BridgeErrorCodes.ServiceError) {
        return ConvertTo-AzTokenBridgeAcrServiceError $rpc $Target
    }
    $category = [System.Management.Automation.ErrorCategory]::NotSpecified
    if ($data -and $data.category) { [void][System.Enum]::TryParse([System.Management.Automation.ErrorCategory], [string]$data.category, [ref]$category) }
    $errorId = if ($data -and $data.errorId) { [string]$data.errorId } else { "RpcError$($rpc.code)" }
    # The exception type tells the kind of failure (src/protocol.ts BridgeErrorCodes, via
    # Protocol.generated.ps1); a service error's message is Az's text.
    $codes = $script:BridgeErrorCodes
    $ex = switch ([int]$rpc.code) {
        $codes.InvalidInput { [System.ArgumentException]::new([string]$rpc.message, [string]$data.target); break }
        $codes.AuthenticationFailed { [System.Security.Authentication.AuthenticationException]::new([string]$rpc.message); break }
        $codes.ServiceError { [System.Exception]::new((Format-AzTokenBridgeServiceError $data ([string]$rpc.message))); break }
        $codes.NetworkError { [System.Net.Http.HttpRequestException]::new([string]$rpc.message); break }
        # OperationTimeout: a long-running operation past its bound (src/acr/handlers.ts).
        $codes.OperationTimeout { [System.TimeoutException]::new([string]$rpc.message); break }
        $codes.RequestCancelled { [System.OperationCanceledException]::new([string]$rpc.message); break }
        default { [System.InvalidOperationException]::new([string]$rpc.message) }
    }
    $ex.Data['AzTokenBridge.RpcError'] = $rpc
    $record = [System.Management.Automation.ErrorRecord]::new($ex, $errorId, $category, $Target)
    if ($data -and $data.recommendedAction) {
        $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new($ex.Message)
        $record.ErrorDetails.RecommendedAction = [string]$data.recommendedAction
    }
    $record
}

function ConvertTo-AzTokenBridgeAcrServiceError {
    # A registry service error as Az.ContainerRegistry's generated cmdlets write it:
    # - the service answered the call with its error body {code, message}: the message
    #   "[<code>] : <message>", ErrorId the code, ErrorDetails.Message the service's message;
    # - an answer without both: ErrorId the HTTP status name, the message the server's;
    # - a long-running operation that failed (its status URL answered 200, status Failed): the
    #   message the operation's error message, as Az's; ErrorId the operation's error code where
    #   Az gives the status name of that answer ("OK"): on purpose (README, Decisions);
    # always category InvalidOperation, and the call's parameters as the target object
    # (New-AzTokenBridgeAcrCallTarget). The service's code stays in the exception's Data.
    param($Rpc, $Target)
    $data = $Rpc.data
    $status = if ($data -and $data.statusCode) { [int]$data.statusCode } else { 0 }
    $statusName = if ($status -gt 0) { ([System.Net.HttpStatusCode]$status).ToString() } else { 'ServiceError' }
    $code = [string]$data.serviceCode
    $message = [string]$data.serviceMessage
    $details = $null
    if ($status -gt 0 -and $status -lt 400) {
        $errorId = if ($code) { $code } else { $statusName }
        $text = if ($message) { $message } else { [string]$Rpc.message }
    } elseif ($code -and $message) {
        $errorId = $code
        $text = "[$code] : $message"
        $details = $message
    } else {
        $errorId = $statusName
        $text = [string]$Rpc.message
    }
    $ex = [System.Exception]::new($text)
    $ex.Data['AzTokenBridge.RpcError'] = $Rpc
    $record = [System.Management.Automation.ErrorRecord]::new($ex, $errorId, 'InvalidOperation', $Target)
    if ($details -or $data.recommendedAction) {
        $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new($(if ($details) { $details } else { $text }))
        if ($data.recommendedAction) { $record.ErrorDetails.RecommendedAction = [string]$data.recommendedAction }
    }
    $record
}

function Write-AzTokenBridgeError {
    # Writes the failure of one input as a non-terminating error. A missing server binary is
    # terminating: every further input would fail the same way. -Style: New-AzTokenBridgeErrorRecord's.
    param(
        [Parameter(Mandatory)][System.Management.Automation.PSCmdlet]$Cmdlet,
        [Parameter(Mandatory)][System.Exception]$Exception,
        $Target,
        [string]$Style
    )
    if ($Exception -is [System.IO.FileNotFoundException] -and -not $Exception.Data['AzTokenBridge.RpcError']) {
        $Cmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($Exception, 'AzTokenBridgeServerNotFound', 'ObjectNotFound', $Exception.FileName))
    }
    Write-AzTokenBridgeErrorRecord $Cmdlet (New-AzTokenBridgeErrorRecord -Exception $Exception -Target $Target -Style $Style)
}

function Write-AzTokenBridgeErrorRecord {
    # Every non-terminating error of the module's cmdlets is written here: $Cmdlet.WriteError, with
    # one case a compiled cmdlet does not have. When the caller merges the error stream into the
    # output (`2>&1 | ForEach-Object { throw … }`), the later stage's exception comes back out of
    # WriteError, and through a .NET method called from script it arrives as a
    # MethodInvocationException that would end only this statement (issue Z item 2). The downstream's
    # own exception is thrown again instead, so that it ends the cmdlet and the script as it does a
    # compiled cmdlet's; the wrapper's entry leaves $Error (the original's is there already). An
    # ActionPreference stop (-ErrorAction Stop) comes out as a PipelineStoppedException, never wrapped.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [System.Management.Automation.ErrorRecord]$ErrorRecord)
    try {
        $Cmdlet.WriteError($ErrorRecord)
    } catch [System.Management.Automation.MethodInvocationException] {
        $wrapper = $_.Exception
        $inner = $wrapper.InnerException
        # Anything else failed in WriteError itself (a module fault): it ends the cmdlet.
        if ($inner -isnot [System.Management.Automation.RuntimeException]) { throw }
        $errors = $global:Error
        for ($i = $errors.Count - 1; $i -ge 0; $i--) {
            if ($errors[$i] -is [System.Management.Automation.ErrorRecord] -and [object]::ReferenceEquals($errors[$i].Exception, $wrapper)) { $errors.RemoveAt($i) }
        }
        throw $inner
    }
}
