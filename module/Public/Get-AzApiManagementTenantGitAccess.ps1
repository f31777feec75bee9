function Get-AzApiManagementTenantGitAccess {
    # .ExternalHelp AzTokenBridge-help.xml
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
        $window = New-AzTokenBridgeWindow $PSCmdlet -Limit $ThrottleLimit -Writer ${function:Write-AzTokenBridgeTenantAccess}
        $callContext = Get-AzTokenBridgeCallContext -DefaultProfile $DefaultProfile
    }
    process {
        Send-AzTokenBridgeTenantAccess -Cmdlet $PSCmdlet -Window $window -Context $Context -AccessName 'gitAccess' -CallContext $callContext
    }
    end {
        Complete-AzTokenBridgeWindow $PSCmdlet $window
    }
    clean {
        Stop-AzTokenBridgeWindow $window
    }
}
