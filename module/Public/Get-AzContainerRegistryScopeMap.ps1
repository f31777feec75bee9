function Get-AzContainerRegistryScopeMap {
    <#
    .SYNOPSIS
    Gets the properties of the specified scope map.

    .DESCRIPTION
    Gets the properties of the specified scope map, or lists all the scope maps of a container
    registry (the system scope maps _repositories_pull, _repositories_push, _repositories_admin
    among them). Pass a scope map's Id to New-AzContainerRegistryToken -ScopeMapId.

    .PARAMETER Name
    The name of the scope map.

    .PARAMETER RegistryName
    The name of the container registry.

    .PARAMETER ResourceGroupName
    The name of the resource group to which the container registry belongs.

    .PARAMETER SubscriptionId
    The Microsoft Azure subscription ID. Default: the session's subscription.

    .PARAMETER InputObject
    Identity Parameter: a hashtable (SubscriptionId, ResourceGroupName, RegistryName, ScopeMapName,
    or Id), a scope map's resource id, or any object with an Id.

    .PARAMETER DefaultProfile
    The credentials, account, tenant, and subscription used for communication with Azure: an Az
    context, or a hashtable with TenantId, SubscriptionId, ClientId, ClientSecret or
    CertificatePath (and CertificatePassword), Environment.

    .PARAMETER ThrottleLimit
    AzTokenBridge's own (not in Az): how many requests may be in flight at once when inputs are
    piped. Default: $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16. Output keeps the input order.

    .EXAMPLE
    Get-AzContainerRegistryScopeMap -RegistryName lnxcr -ResourceGroupName lnxtest

    Lists the scope maps of the registry.

    .EXAMPLE
    Get-AzContainerRegistryScopeMap -RegistryName lnxcr -ResourceGroupName lnxtest -Name newmap |
        ForEach-Object { New-AzContainerRegistryToken -Name token3 -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $_.Id }

    Creates a token for the scope map newmap.

    .INPUTS
    Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.IContainerRegistryIdentity

    .OUTPUTS
    Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.Api20220201Preview.IScopeMap
    #>
    [CmdletBinding(DefaultParameterSetName = 'List', PositionalBinding = $false)]
    [OutputType('Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.Api20220201Preview.IScopeMap')]
    param(
        [Parameter(ParameterSetName = 'Get', Mandatory)]
        [Alias('ScopeMapName')]
        [string]$Name,

        [Parameter(ParameterSetName = 'List', Mandatory)]
        [Parameter(ParameterSetName = 'Get', Mandatory)]
        [string]$RegistryName,

        [Parameter(ParameterSetName = 'List', Mandatory)]
        [Parameter(ParameterSetName = 'Get', Mandatory)]
        [string]$ResourceGroupName,

        [Parameter(ParameterSetName = 'List')]
        [Parameter(ParameterSetName = 'Get')]
        [string]$SubscriptionId,

        [Parameter(ParameterSetName = 'GetViaIdentity', Mandatory, ValueFromPipeline)]
        [ValidateNotNull()]
        $InputObject,

        [Alias('AzureRMContext', 'AzureCredential')]
        $DefaultProfile,

        # Inputs in flight at once when they are piped (AzTokenBridge; not in Az). Default:
        # $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16. Output keeps the input order.
        [ValidateRange(1, 256)]
        [int]$ThrottleLimit
    )
    begin {
        # Caller-scope preferences first (module/Private/Preferences.ps1).
        . Use-AzTokenBridgeCallerPreference
        $window = New-AzTokenBridgeWindow -Limit $ThrottleLimit -Writer ${function:Write-AzTokenBridgeAcrRegistryItem}
        $callContext = Get-AzTokenBridgeCallContext -DefaultProfile $DefaultProfile
    }
    process {
        Send-AzTokenBridgeAcrRegistryItem -Cmdlet $PSCmdlet -Window $window -Kind ScopeMap -Bound $PSBoundParameters -CallContext $callContext
    }
    end {
        Complete-AzTokenBridgeWindow $PSCmdlet $window
    }
    clean {
        Stop-AzTokenBridgeWindow $window
    }
}
