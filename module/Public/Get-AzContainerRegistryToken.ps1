function Get-AzContainerRegistryToken {
    <#
    .SYNOPSIS
    Gets the properties of the specified token.

    .DESCRIPTION
    Gets the properties of the specified token, or lists all the tokens of a container registry.

    .PARAMETER Name
    The name of the token.

    .PARAMETER RegistryName
    The name of the container registry.

    .PARAMETER ResourceGroupName
    The name of the resource group to which the container registry belongs.

    .PARAMETER SubscriptionId
    The Microsoft Azure subscription ID. Default: the session's subscription.

    .PARAMETER InputObject
    Identity Parameter: a hashtable (SubscriptionId, ResourceGroupName, RegistryName, TokenName,
    or Id), a token's resource id, or any object with an Id.

    .PARAMETER DefaultProfile
    The credentials, account, tenant, and subscription used for communication with Azure: an Az
    context, or a hashtable with TenantId, SubscriptionId, ClientId, ClientSecret or
    CertificatePath (and CertificatePassword), Environment.

    .PARAMETER ThrottleLimit
    AzTokenBridge's own (not in Az): how many requests may be in flight at once when inputs are
    piped. Default: $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16. Output keeps the input order.

    .EXAMPLE
    Get-AzContainerRegistryToken -RegistryName lnxcr -ResourceGroupName lnxtest

    Lists the tokens of the registry.

    .EXAMPLE
    Get-AzContainerRegistryToken -RegistryName lnxcr -ResourceGroupName lnxtest -Name token2

    Gets one token.

    .INPUTS
    Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.IContainerRegistryIdentity

    .OUTPUTS
    Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.Api20220201Preview.IToken
    #>
    [CmdletBinding(DefaultParameterSetName = 'List', PositionalBinding = $false)]
    [OutputType('Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.Api20220201Preview.IToken')]
    param(
        [Parameter(ParameterSetName = 'Get', Mandatory)]
        [Alias('TokenName')]
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
        Send-AzTokenBridgeAcrRegistryItem -Cmdlet $PSCmdlet -Window $window -Kind Token -Bound $PSBoundParameters -CallContext $callContext
    }
    end {
        Complete-AzTokenBridgeWindow $PSCmdlet $window
    }
    clean {
        Stop-AzTokenBridgeWindow $window
    }
}
