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
        $DefaultProfile
    )
    process {
        $call = Get-AzTokenBridgeAcrRegistryItem -Cmdlet $PSCmdlet -Kind Token -Bound $PSBoundParameters -DefaultProfile $DefaultProfile
        foreach ($item in @($call)) { if ($null -ne $item) { $PSCmdlet.WriteObject((ConvertTo-AzTokenBridgeAcrToken $item)) } }
    }
}
