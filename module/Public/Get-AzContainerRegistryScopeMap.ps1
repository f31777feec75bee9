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
        $DefaultProfile
    )
    process {
        $call = Get-AzTokenBridgeAcrRegistryItem -Cmdlet $PSCmdlet -Kind ScopeMap -Bound $PSBoundParameters -DefaultProfile $DefaultProfile
        foreach ($item in @($call)) { if ($null -ne $item) { $PSCmdlet.WriteObject((ConvertTo-AzTokenBridgeAcrScopeMap $item)) } }
    }
}
