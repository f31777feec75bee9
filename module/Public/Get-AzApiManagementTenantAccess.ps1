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

    .PARAMETER ThrottleLimit
    AzTokenBridge's own (not in Az): how many requests may be in flight at once when inputs are
    piped. Default: $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16. Output keeps the input order.

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
        $DefaultProfile,

        # Inputs in flight at once when they are piped (AzTokenBridge; not in Az). Default:
        # $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16. Output keeps the input order.
        [ValidateRange(1, 256)]
        [int]$ThrottleLimit
    )
    begin {
        # Caller-scope preferences first (module/Private/Preferences.ps1).
        . Use-AzTokenBridgeCallerPreference
        $window = New-AzTokenBridgeWindow -Limit $ThrottleLimit -Writer ${function:Write-AzTokenBridgeTenantAccess}
        $callContext = Get-AzTokenBridgeCallContext -DefaultProfile $DefaultProfile
    }
    process {
        Send-AzTokenBridgeTenantAccess -Cmdlet $PSCmdlet -Window $window -Context $Context -AccessName 'access' -CallContext $callContext
    }
    end {
        Complete-AzTokenBridgeWindow $PSCmdlet $window
    }
    clean {
        Stop-AzTokenBridgeWindow $window
    }
}
