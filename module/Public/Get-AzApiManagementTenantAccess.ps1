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

    .PARAMETER DefaultProfile
    The credentials, account, tenant, and subscription used for communication with azure: an Az
    context, or a hashtable with TenantId, SubscriptionId, ClientId, ClientSecret or
    CertificatePath (and CertificatePassword), Environment.

    .EXAMPLE
    $ApiMgmtContext = New-AzApiManagementContext -ResourceGroupName "Api-Default-WestUS" -ServiceName "contoso"
    Get-AzApiManagementTenantAccess -Context $ApiMgmtContext

    This command gets the tenant access configuration.

    .INPUTS
    Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementContext

    .OUTPUTS
    Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementAccessInformation
    #>
    [CmdletBinding(PositionalBinding = $false)]
    [OutputType('Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementAccessInformation')]
    param(
        [Parameter(Mandatory, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [PSTypeName('Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementContext')]
        $Context,

        [Alias('AzContext', 'AzureRmContext', 'AzureCredential')]
        $DefaultProfile
    )
    process {
        Get-AzTokenBridgeTenantAccess -Cmdlet $PSCmdlet -Context $Context -AccessName 'access' -DefaultProfile $DefaultProfile
    }
}
