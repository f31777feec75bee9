function Get-AzApiManagementTenantAccess {
    <#
    .SYNOPSIS
    Gets the access configuration for a tenant.

    .DESCRIPTION
    The Get-AzApiManagementTenantAccess cmdlet gets the tenant access configuration (the direct
    management API) of an API Management service. Id is the principal the configuration issues
    tokens for (integration), so it can be passed to New-AzApiManagementUserToken -UserId. Keys are
    not returned.

    .PARAMETER Context
    Specifies a PsApiManagementContext object.

    .EXAMPLE
    $context = New-AzApiManagementContext -ResourceGroupName "Api-Default-WestUS" -ServiceName "contoso"
    Get-AzApiManagementTenantAccess -Context $context

    .OUTPUTS
    Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementAccessInformation
    #>
    [CmdletBinding()]
    [OutputType('Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementAccessInformation')]
    param(
        [Parameter(Mandatory, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [PSTypeName('Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementContext')]
        $Context
    )
    process {
        $call = Invoke-AzTokenBridgeRpc -Cmdlet $PSCmdlet -Method 'apim/getTenantAccess' -Params @{
            resourceGroupName = $Context.ResourceGroupName
            serviceName       = $Context.ServiceName
            accessName        = 'access'
        }
        if ($call.Failure) { Write-AzTokenBridgeError -Cmdlet $PSCmdlet -Exception $call.Failure -Target $Context; return }
        $r = $call.Result
        $PSCmdlet.WriteObject([pscustomobject]@{
            PSTypeName   = 'Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementAccessInformation'
            Enabled      = [bool]$r.enabled
            Id           = [string]$r.principalId
            PrimaryKey   = $null
            SecondaryKey = $null
        })
    }
}
