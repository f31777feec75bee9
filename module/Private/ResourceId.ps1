# ARM resource ids are read by the server only (arm/parseResourceId, src/azure/resourceId.ts): it
# answers at once, without network and without sign-in, with the id's parts or the error the
# cmdlet writes for it (ErrorId, category, message and parameter from the server).

function Get-AzTokenBridgeResourceIdParts {
    # The parts of a resource id (ArmParseResourceIdResult, src/protocol.ts), or an ErrorRecord with
    # $Target as its target object. $Params: kind, resourceId and, for the registry identities,
    # the -InputObject's members.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, [Parameter(Mandatory)][System.Collections.IDictionary]$Params, $Target)
    $call = Invoke-AzTokenBridgeRpc -Cmdlet $Cmdlet -Method 'arm/parseResourceId' -Params $Params -EnvironmentOnly
    $failure = $call.Failure
    if ($null -eq $failure) { return $call.Result }
    # No server binary is terminating, as for every call (Write-AzTokenBridgeError throws it).
    if ($failure -is [System.IO.FileNotFoundException] -and $null -eq $failure.Data['AzTokenBridge.RpcError']) {
        Write-AzTokenBridgeError -Cmdlet $Cmdlet -Exception $failure -Target $Target
    }
    New-AzTokenBridgeErrorRecord -Exception $failure -Target $Target
}
