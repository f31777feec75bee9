function New-PartnerAccessToken {
    # .ExternalHelp AzTokenBridge-help.xml
    [CmdletBinding(PositionalBinding = $false)]
    [OutputType('Microsoft.Store.PartnerCenter.PowerShell.Models.Authentication.AuthResult')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'AccessToken')]
        [ValidateNotNullOrEmpty()]
        [string]$AccessToken,

        [Parameter(Mandatory, ParameterSetName = 'AccessToken')]
        [Parameter(ParameterSetName = 'RefreshToken')]
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipal')]
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipalCertificate')]
        [Parameter(Mandatory, ParameterSetName = 'User')]
        [Alias('ClientId')]
        [ValidateNotNullOrEmpty()]
        [string]$ApplicationId,

        [Parameter(ParameterSetName = 'RefreshToken')]
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipalCertificate')]
        [string]$CertificateThumbprint,

        [Parameter(ParameterSetName = 'AccessToken')]
        [Parameter(ParameterSetName = 'RefreshToken')]
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipal')]
        [ValidateNotNull()]
        [pscredential]$Credential,

        [Alias('EnvironmentName')]
        [AzTokenBridge.Models.EnvironmentName]$Environment = 'AzureCloud',

        [Parameter(ParameterSetName = 'RefreshToken')]
        [Parameter(Mandatory, ParameterSetName = 'ByModule')]
        [Alias('ModuleName')]
        [AzTokenBridge.Models.ModuleName]$Module,

        [Parameter(Mandatory, ParameterSetName = 'RefreshToken')]
        [Parameter(ParameterSetName = 'ByModule')]
        [ValidateNotNullOrEmpty()]
        [string]$RefreshToken,

        [Parameter(Mandatory, ParameterSetName = 'AccessToken')]
        [Parameter(Mandatory, ParameterSetName = 'RefreshToken')]
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipal')]
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipalCertificate')]
        [Parameter(Mandatory, ParameterSetName = 'User')]
        [string[]]$Scopes,

        [Parameter(ParameterSetName = 'RefreshToken')]
        [Parameter(ParameterSetName = 'ServicePrincipal')]
        [Parameter(ParameterSetName = 'ServicePrincipalCertificate')]
        [switch]$ServicePrincipal,

        [Parameter(ParameterSetName = 'AccessToken')]
        [Parameter(ParameterSetName = 'RefreshToken')]
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipal')]
        [Parameter(Mandatory, ParameterSetName = 'ServicePrincipalCertificate')]
        [Parameter(ParameterSetName = 'User')]
        [Parameter(ParameterSetName = 'ByModule')]
        [Alias('Domain', 'TenantId')]
        [ValidateNotNullOrEmpty()]
        [string]$Tenant,

        [Parameter(ParameterSetName = 'ServicePrincipal')]
        [Parameter(ParameterSetName = 'ServicePrincipalCertificate')]
        [Parameter(ParameterSetName = 'User')]
        [Parameter(ParameterSetName = 'ByModule')]
        [Alias('AuthCode')]
        [switch]$UseAuthorizationCode,

        [Parameter(ParameterSetName = 'User')]
        [Alias('DeviceCode', 'DeviceAuth', 'Device')]
        [switch]$UseDeviceAuthentication
    )
    begin {
        # Caller-scope preferences first (module/Private/Preferences.ps1).
        . Use-AzTokenBridgeCallerPreference
    }
    # process, not end: nothing runs for piped input that bound to nothing (a compiled cmdlet's
    # ProcessRecord is not called for it either); without pipeline input it runs once.
    process {
        $set = $PSCmdlet.ParameterSetName
        $target = if ($set -eq 'ByModule') { [string]$Module } elseif ($ApplicationId) { $ApplicationId } elseif ($Credential -and $Credential.UserName) { $Credential.UserName } else { $set }
        $params = [ordered]@{ parameterSet = $set; environment = [string]$Environment }
        if ($Tenant) { $params['tenant'] = $Tenant }
        if ($ApplicationId) { $params['applicationId'] = $ApplicationId }
        if ($PSBoundParameters.ContainsKey('Scopes')) { $params['scopes'] = [string[]]@($Scopes) }
        if ($set -eq 'AccessToken') { $params['accessToken'] = $AccessToken }
        if ($RefreshToken) { $params['refreshToken'] = $RefreshToken }
        if ($PSBoundParameters.ContainsKey('Module')) { $params['module'] = [string]$Module }
        if ($UseAuthorizationCode) { $params['useAuthorizationCode'] = $true }
        if ($UseDeviceAuthentication) { $params['useDeviceAuthentication'] = $true }
        # [pscredential]::Empty is PowerShell's "no credential" (the default of -Credential parameters).
        if ($Credential -and $Credential -ne [pscredential]::Empty -and $set -ne 'AccessToken') {
            $params['credential'] = [ordered]@{ userName = $Credential.UserName; password = $Credential.GetNetworkCredential().Password }
        }
        if ($CertificateThumbprint) {
            $cert = Get-AzTokenBridgePartnerCertificate -Thumbprint $CertificateThumbprint
            if ($cert -is [System.Exception]) {
                $category = if ($cert -is [System.Management.Automation.ItemNotFoundException]) { 'ObjectNotFound' } else { 'InvalidArgument' }
                Write-AzTokenBridgeErrorRecord $PSCmdlet ([System.Management.Automation.ErrorRecord]::new($cert, 'CertificateNotFound', $category, $CertificateThumbprint))
                return
            }
            Write-AzTokenBridgeTrace $PSCmdlet "New-PartnerAccessToken: certificate $($cert.thumbprint) from $($cert.store)."
            $params['certificate'] = $cert
        }

        # One request, however the user signs in: the device code message and the browser notices
        # arrive as warnings while it runs (written at once); a stop (Ctrl+C) cancels the sign-in.
        $call = Invoke-AzTokenBridgeRpc -Cmdlet $PSCmdlet -Method 'partner/newAccessToken' -Params $params -EnvironmentOnly
        if ($call.Failure) { Write-AzTokenBridgeError -Cmdlet $PSCmdlet -Exception $call.Failure -Target $target; return }
        $answer = $call.Result
        $info = $answer.info
        $where = "New-PartnerAccessToken: $($info.environment), authority $($info.authority)"
        if ($info.redirectedTo) { $where += " (requests go to $($info.redirectedTo): AZURE_AUTHORITY_HOST)" }
        $where += "; flow $($info.flow)"
        if ($info.clientId) { $where += ", $($info.client) client $($info.clientId)" }
        Write-AzTokenBridgeTrace $PSCmdlet "$where."
        ConvertTo-AzTokenBridgePartnerAuthResult $answer.result
    }
}
