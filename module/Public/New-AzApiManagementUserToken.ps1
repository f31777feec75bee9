function New-AzApiManagementUserToken {
    # .ExternalHelp AzTokenBridge-help.xml
    [CmdletBinding(PositionalBinding = $false)]
    [OutputType('Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementUserToken')]
    param(
        [Parameter(Mandatory, ValueFromPipeline)]
        [ValidateNotNullOrEmpty()]
        [PSTypeName('Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementContext')]
        $Context,

        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]
        [string]$UserId,

        [Parameter(ValueFromPipelineByPropertyName)]
        [AzTokenBridge.Models.PsApiManagementUserKeyType]$KeyType = 'Primary',

        # [datetime], not [Nullable[datetime]], so that the syntax reads `-Expiry <DateTime>` as in Az
        # (the engine shows a nullable parameter of a function as `Nullable`1`). Not given, it is
        # $null (a typed parameter without a default); $PSBoundParameters cannot tell, as it keeps
        # a value bound from the previous pipeline input. Given as $null, it is the default
        # (AzTokenBridge.Client.TokenExpiryAttribute in module/Client/Attributes.cs), as Az's Nullable<DateTime>.
        [Parameter(ValueFromPipelineByPropertyName)]
        [AzTokenBridge.Client.TokenExpiryAttribute()]
        [datetime]$Expiry,

        [Alias('AzContext', 'AzureRmContext', 'AzureCredential')]
        $DefaultProfile,

        # Requests in flight at once when inputs are piped (AzTokenBridge; not in Az). Default:
        # $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16. Output keeps the input order.
        [ValidateRange(1, 256)]
        [int]$ThrottleLimit
    )
    begin {
        # Caller-scope preferences first (module/Private/Preferences.ps1).
        . Use-AzTokenBridgeCallerPreference
        $window = New-AzTokenBridgeWindow $PSCmdlet -Limit $ThrottleLimit -Writer ${function:Write-AzTokenBridgeUserToken}
        # The sign-in context is read once per invocation, not per input.
        $callContext = Get-AzTokenBridgeCallContext -DefaultProfile $DefaultProfile
    }
    process {
        # As Az.ApiManagement: the expiry defaults to UtcNow + 8 h, computed now; the output echoes
        # the caller's DateTime unchanged; on the wire a local time is converted to UTC and a time
        # without a kind is taken as UTC (Newtonsoft's DateTimeZoneHandling.Utc).
        $tokenExpiry = if ($null -ne $Expiry) { $Expiry } else { [AzTokenBridge.Client.TokenExpiryAttribute]::Default() }
        $wireExpiry = switch ($tokenExpiry.Kind) {
            'Local' { $tokenExpiry.ToUniversalTime() }
            'Unspecified' { [datetime]::SpecifyKind($tokenExpiry, 'Utc') }
            default { $tokenExpiry }
        }
        $keyTypeName = [string]$KeyType
        $params = Get-AzTokenBridgeServiceParams $Context
        $params['userId'] = $UserId
        $params['keyType'] = $keyTypeName
        $params['expiry'] = $wireExpiry.ToString('o', [cultureinfo]::InvariantCulture)
        $state = @{ UserId = $UserId; TokenExpiry = $tokenExpiry; KeyType = $keyTypeName }
        Send-AzTokenBridgeWindowCall $PSCmdlet $window -Method 'apim/newUserToken' -Params $params -CallContext $callContext -State $state
    }
    end {
        Complete-AzTokenBridgeWindow $PSCmdlet $window
    }
    clean {
        Stop-AzTokenBridgeWindow $window
    }
}

function Write-AzTokenBridgeUserToken {
    # One answered input of New-AzApiManagementUserToken: its token, or its error.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Item)
    $state = $Item.State
    if ($Item.Failure) { Write-AzTokenBridgeError -Cmdlet $Cmdlet -Exception $Item.Failure -Target $state.UserId; return }
    [pscustomobject]@{
        PSTypeName  = 'Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementUserToken'
        UserId      = $state.UserId
        TokenExpiry = $state.TokenExpiry
        KeyType     = $state.KeyType
        UserToken   = [string]$Item.Result.userToken
    }
}
