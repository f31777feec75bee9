function Get-AzApiManagementUser {
    # .ExternalHelp AzTokenBridge-help.xml
    [CmdletBinding(PositionalBinding = $false, DefaultParameterSetName = 'GetAllUsers')]
    [OutputType('Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementUser')]
    param(
        [Parameter(ParameterSetName = 'GetAllUsers', Mandatory, ValueFromPipeline)]
        [Parameter(ParameterSetName = 'GetByUserId', Mandatory, ValueFromPipeline)]
        [ValidateNotNullOrEmpty()]
        [PSTypeName('Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementContext')]
        $Context,

        [Parameter(ParameterSetName = 'GetByUserId', Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]
        [string]$UserId,

        [Parameter(ParameterSetName = 'GetAllUsers')]
        [string]$FirstName,

        [Parameter(ParameterSetName = 'GetAllUsers')]
        [string]$LastName,

        [Parameter(ParameterSetName = 'GetAllUsers')]
        [ValidateSet('Active', 'Blocked', 'Pending', 'Deleted')]
        [string]$State,

        [Parameter(ParameterSetName = 'GetAllUsers')]
        [string]$Email,

        [Parameter(ParameterSetName = 'GetAllUsers')]
        [string]$GroupId,

        [Parameter(ParameterSetName = 'ByResourceIdParameterSet', Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string]$ResourceId,

        [Alias('AzContext', 'AzureRmContext', 'AzureCredential')]
        $DefaultProfile,

        # Inputs in flight at once when they are piped (AzTokenBridge; not in Az). Default:
        # $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16. Output keeps the input order.
        [ValidateRange(1, 256)]
        [int]$ThrottleLimit
    )
    begin {
        # Caller-scope preferences first (module/Private/Preferences.ps1).
        . Use-AzTokenBridgeCallerPreference
        $window = New-AzTokenBridgeWindow $PSCmdlet -Limit $ThrottleLimit -Writer ${function:Write-AzTokenBridgeApimUsers}
        $callContext = Get-AzTokenBridgeCallContext -DefaultProfile $DefaultProfile
    }
    process {
        $ctx = $Context
        $params = @{}
        if ($PSCmdlet.ParameterSetName -eq 'ByResourceIdParameterSet') {
            # The server reads the id (module/Private/ResourceId.ps1).
            $id = Get-AzTokenBridgeResourceIdParts -Cmdlet $PSCmdlet -Params @{ kind = 'ApiManagementUser'; resourceId = $ResourceId } -Target $ResourceId
            if ($id -is [System.Management.Automation.ErrorRecord]) { Add-AzTokenBridgeWindowError $PSCmdlet $window $id; return }
            $ctx = New-AzTokenBridgeApimContext -ResourceGroupName $id.resourceGroupName -ServiceName $id.serviceName -SubscriptionId $id.subscriptionId
            $params['userId'] = [string]$id.userId
        } elseif ($PSCmdlet.ParameterSetName -eq 'GetByUserId') {
            $params['userId'] = $UserId
        } else {
            foreach ($name in 'FirstName', 'LastName', 'Email', 'State', 'GroupId') {
                $value = $PSBoundParameters[$name]
                if ($value) { $params[$name.Substring(0, 1).ToLowerInvariant() + $name.Substring(1)] = [string]$value }
            }
        }
        foreach ($entry in (Get-AzTokenBridgeServiceParams $ctx).GetEnumerator()) { $params[$entry.Key] = $entry.Value }
        $target = if ($params['userId']) { $params['userId'] } else { $ctx }
        Send-AzTokenBridgeWindowCall $PSCmdlet $window -Method 'apim/getUsers' -Params $params -CallContext $callContext -State @{ Context = $ctx; Target = $target }
    }
    end {
        Complete-AzTokenBridgeWindow $PSCmdlet $window
    }
    clean {
        Stop-AzTokenBridgeWindow $window
    }
}
