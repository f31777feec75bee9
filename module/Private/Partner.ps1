# Partner Center (New-PartnerAccessToken): the certificate of -CertificateThumbprint from the .NET
# stores, and the AuthResult object.

$script:PartnerAuthResultType = 'Microsoft.Store.PartnerCenter.PowerShell.Models.Authentication.AuthResult'

function Get-AzTokenBridgePartnerCertificate {
    # Looks the thumbprint up in CurrentUser\My, then LocalMachine\My (as PartnerCenter does, on
    # every OS: .NET keeps CurrentUser\My under ~/.dotnet/corefx/cryptography/x509stores on Linux
    # and macOS). Returns @{ thumbprint; certificatePem; privateKeyPem; store } with the private key
    # exported in memory (PKCS#8 PEM, never written anywhere), or an exception.
    param([Parameter(Mandatory)][string]$Thumbprint)
    $wanted = ($Thumbprint -replace '[\s:]', '').ToUpperInvariant()
    foreach ($location in 'CurrentUser', 'LocalMachine') {
        $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', $location)
        try {
            try {
                $store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]'ReadOnly, OpenExistingOnly')
            } catch {
                continue   # no such store on this machine (e.g. LocalMachine\My on Linux)
            }
            $found = $store.Certificates.Find([System.Security.Cryptography.X509Certificates.X509FindType]::FindByThumbprint, $wanted, $false)
            if ($found.Count -eq 0) { continue }
            $cert = $found[0]
            $where = "$location\My"
            if (-not $cert.HasPrivateKey) {
                return [System.ArgumentException]::new("The certificate $wanted in $where has no private key: a certificate credential signs with it.", 'CertificateThumbprint')
            }
            $rsa = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($cert)
            if ($null -eq $rsa) {
                return [System.ArgumentException]::new("The certificate $wanted in $where does not have an RSA key; Entra ID certificate credentials use RSA.", 'CertificateThumbprint')
            }
            $pkcs8 = $null
            try {
                $pkcs8 = $rsa.ExportPkcs8PrivateKey()
            } catch {
                return [System.ArgumentException]::new("The private key of certificate $wanted in $where cannot be exported (it was imported as not exportable): $($_.Exception.InnerException.Message)", 'CertificateThumbprint')
            } finally {
                $rsa.Dispose()
            }
            try {
                $keyPem = "-----BEGIN PRIVATE KEY-----`n$([Convert]::ToBase64String($pkcs8, 'InsertLineBreaks'))`n-----END PRIVATE KEY-----`n"
            } finally {
                [Array]::Clear($pkcs8, 0, $pkcs8.Length)
            }
            $certPem = "-----BEGIN CERTIFICATE-----`n$([Convert]::ToBase64String($cert.RawData, 'InsertLineBreaks'))`n-----END CERTIFICATE-----`n"
            return [ordered]@{ thumbprint = $cert.Thumbprint; certificatePem = $certPem; privateKeyPem = $keyPem; store = $where }
        } finally {
            $store.Dispose()
        }
    }
    [System.Management.Automation.ItemNotFoundException]::new("No certificate with thumbprint $wanted in the certificate stores CurrentUser\My or LocalMachine\My.")
}

function ConvertTo-AzTokenBridgePartnerAuthResult {
    # The server's PartnerAuthResult → an AuthResult object like PartnerCenter's.
    param($Result)
    $account = $null
    if ($Result.account) {
        $a = $Result.account
        $homeId = [pscustomobject]@{
            PSTypeName = 'Microsoft.Identity.Client.AccountId'
            Identifier = [string]$a.homeAccountId.identifier
            ObjectId   = [string]$a.homeAccountId.objectId
            TenantId   = [string]$a.homeAccountId.tenantId
        }
        $homeId.PSObject.Methods.Add([psscriptmethod]::new('ToString', { "AccountId: $($this.Identifier)" }))
        $account = [pscustomobject]@{
            PSTypeName    = 'Microsoft.Identity.Client.Account'
            Username      = [string]$a.username
            Environment   = [string]$a.environment
            HomeAccountId = $homeId
        }
        # MSAL.NET's Account.ToString(), as the original prints it.
        $account.PSObject.Methods.Add([psscriptmethod]::new('ToString', { "Account username: $($this.Username) environment $($this.Environment) home account id: $($this.HomeAccountId)" }))
    }
    $styles = [System.Globalization.DateTimeStyles]::AssumeUniversal -bor [System.Globalization.DateTimeStyles]::AdjustToUniversal
    $date = { param($s) [datetimeoffset]::Parse([string]$s, [cultureinfo]::InvariantCulture, $styles) }
    $o = [pscustomobject][ordered]@{
        RefreshToken            = $Result.refreshToken
        AccessToken             = [string]$Result.accessToken
        IsExtendedLifeTimeToken = [bool]$Result.isExtendedLifeTimeToken
        UniqueId                = $Result.uniqueId
        ExpiresOn               = & $date $Result.expiresOn
        ExtendedExpiresOn       = & $date $Result.extendedExpiresOn
        TenantId                = $Result.tenantId
        Account                 = $account
        IdToken                 = $Result.idToken
        Scopes                  = [string[]]@($Result.scopes)
        CorrelationId           = [guid]$Result.correlationId
    }
    $o.PSObject.TypeNames.Insert(0, $script:PartnerAuthResultType)
    $o
}
