function New-PartnerAccessToken {
    <#
    .SYNOPSIS
    Acquires an access token from Azure Active Directory.

    .DESCRIPTION
    Acquires an access token from Azure Active Directory.

    The parameter set decides the flow, as in the PartnerCenter module: AccessToken reads the token
    given (no network); RefreshToken redeems a refresh token; ServicePrincipal and
    ServicePrincipalCertificate use the client credentials grant (or, with -UseAuthorizationCode, a
    browser sign-in as a confidential client); User signs in with the system browser (authorization
    code with PKCE, redirect URI http://localhost:<first free port from 8400 to 8999>/) or, with
    -UseDeviceAuthentication, with a device code; ByModule signs in to Exchange Online PowerShell with
    a device code (or redeems -RefreshToken). User flows always return the refresh token.

    .PARAMETER AccessToken
    The access token for Partner Center.

    .PARAMETER ApplicationId
    The application identifier to be used during authentication.

    .PARAMETER CertificateThumbprint
    Certificate Hash (Thumbprint). The certificate is looked up in the certificate stores
    CurrentUser\My, then LocalMachine\My; its private key is handed to the AzTokenBridge server in
    memory.

    .PARAMETER Credential
    Credentials that represents the service principal. The user name is the application id (in the
    RefreshToken set it is the client id used), the password is the client secret.

    .PARAMETER Environment
    The environment use for authentication. AzureGermanCloud closed in October 2021 and is refused.

    .PARAMETER Module
    The module that an access token is being generated.

    .PARAMETER RefreshToken
    The refresh token to use during authentication.

    .PARAMETER Scopes
    Scopes requested to access a protected API.

    .PARAMETER ServicePrincipal
    Indicates that this account authenticates by providing service principal credentials.

    .PARAMETER Tenant
    The identifier of the Azure AD tenant.

    .PARAMETER UseAuthorizationCode
    Use the authorization code flow during authentication.

    .PARAMETER UseDeviceAuthentication
    Use device code authentication instead of a browser control

    .EXAMPLE
    PS C:\> $credential = Get-Credential
    PS C:\> New-PartnerAccessToken -ApplicationId 'xxxx-xxxx-xxxx-xxxx' -Scopes 'https://api.partnercenter.microsoft.com/user_impersonation' -ServicePrincipal -Credential $credential -Tenant 'xxxx-xxxx-xxxx-xxxx' -UseAuthorizationCode

    The first command gets the service principal credentials (application identifier and service
    principal secret), and then stores them in the $credential variable. The second command will
    request a new access token from Azure Active Directory. When using the UseAuthorizationCode
    parameter you will be prompted to authentication interactively using the authorization code
    flow. The redirect URI value will generated dynamically. This generation process will attempt to
    find a port between 8400 and 8999 that is not in use. Once an available port has been found, the
    redirect URL value will be constructed (e.g. http://localhost:8400). So, it is important that you
    have configured the redirect URI value for your Azure Active Directory application accordingly.

    .EXAMPLE
    PS C:\> $credential = Get-Credential
    PS C:\> $refreshToken = '<refreshToken>'
    PS C:\> New-PartnerAccessToken -ApplicationId 'xxxx-xxxx-xxxx-xxxx' -Credential $credential -RefreshToken $refreshToken -Scopes 'https://api.partnercenter.microsoft.com/user_impersonation' -ServicePrincipal -Tenant 'xxxx-xxxx-xxxx-xxxx'

    The first command gets the service principal credentials (application identifier and service
    principal secret), and then stores them in the $credential variable. The third command will
    generate a new access token using the service principal credentials stored in the $credential
    variable and the refresh token stored in the $refreshToken variable for authentication.

    .OUTPUTS
    Microsoft.Store.PartnerCenter.PowerShell.Models.Authentication.AuthResult
    #>
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
        [ValidateSet('AzureCloud', 'AzureChinaCloud', 'AzureGermanCloud', 'AzurePPE', 'AzureUSGovernment')]
        [string]$Environment = 'AzureCloud',

        [Parameter(ParameterSetName = 'RefreshToken')]
        [Parameter(Mandatory, ParameterSetName = 'ByModule')]
        [Alias('ModuleName')]
        [ValidateSet('ExchangeOnline')]
        [string]$Module,

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
        $target = if ($set -eq 'ByModule') { $Module } elseif ($ApplicationId) { $ApplicationId } elseif ($Credential -and $Credential.UserName) { $Credential.UserName } else { $set }
        $params = [ordered]@{ parameterSet = $set; environment = $Environment }
        if ($Tenant) { $params['tenant'] = $Tenant }
        if ($ApplicationId) { $params['applicationId'] = $ApplicationId }
        if ($PSBoundParameters.ContainsKey('Scopes')) { $params['scopes'] = [string[]]@($Scopes) }
        if ($set -eq 'AccessToken') { $params['accessToken'] = $AccessToken }
        if ($RefreshToken) { $params['refreshToken'] = $RefreshToken }
        if ($Module) { $params['module'] = $Module }
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
