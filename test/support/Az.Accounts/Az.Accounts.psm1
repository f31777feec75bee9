# Test double of Az.Accounts. The "signed-in" state comes from environment variables a test sets
# (in place of Connect-AzAccount):
#   AZTB_FAKE_AZ_SUBSCRIPTION   subscription id of the current context (unset: no context, as before Connect-AzAccount)
#   AZTB_FAKE_AZ_TENANT         tenant id
#   AZTB_FAKE_AZ_ACCOUNT        account id (default a service principal's app id)
#   AZTB_FAKE_AZ_ENVIRONMENT    environment name (default AzureCloud)
#   AZTB_FAKE_AZ_ARM            the environment's ResourceManagerUrl (default https://management.azure.com/)
#   AZTB_FAKE_AZ_AUTHORITY      the environment's ActiveDirectoryAuthority (default https://login.microsoftonline.com/)
#   AZTB_FAKE_AZ_TOKEN          the access token Get-AzAccessToken returns
#   AZTB_FAKE_AZ_PLAIN_TOKEN    1: Token as a string (Az.Accounts before 5.0); else a SecureString (5.0+)
# Each Get-AzAccessToken call is counted in $global:AztbFakeAzTokenCalls (with its arguments).
#
# Shapes (property names and types) follow the documented outputs: Get-AzContext →
# Microsoft.Azure.Commands.Profile.Models.Core.PSAzureContext (Name, Account, Environment,
# Subscription, Tenant, TokenCache, VersionProfile, ExtendedProperties); Get-AzAccessToken →
# Microsoft.Azure.Commands.Profile.Models.PSSecureAccessToken (Token, ExpiresOn as DateTimeOffset,
# TenantId, UserId, Type) or, with a plain token, ...Models.PSAccessToken.

function New-FakeAzObject([string]$TypeName, [System.Collections.IDictionary]$Properties) {
    $o = [pscustomobject]$Properties
    $o.psobject.TypeNames.Insert(0, $TypeName)
    $o
}

function Get-AzContext {
    [CmdletBinding()]
    param([switch]$ListAvailable, [Alias('AzContext', 'AzureRmContext', 'AzureCredential')]$DefaultProfile)
    $subscription = $env:AZTB_FAKE_AZ_SUBSCRIPTION
    if (-not $subscription) { return }
    $tenant = $env:AZTB_FAKE_AZ_TENANT
    $accountId = if ($env:AZTB_FAKE_AZ_ACCOUNT) { $env:AZTB_FAKE_AZ_ACCOUNT } else { '00000000-0000-0000-0000-00000000a11c' }
    $envName = if ($env:AZTB_FAKE_AZ_ENVIRONMENT) { $env:AZTB_FAKE_AZ_ENVIRONMENT } else { 'AzureCloud' }
    $arm = if ($env:AZTB_FAKE_AZ_ARM) { $env:AZTB_FAKE_AZ_ARM } else { 'https://management.azure.com/' }
    $authority = if ($env:AZTB_FAKE_AZ_AUTHORITY) { $env:AZTB_FAKE_AZ_AUTHORITY } else { 'https://login.microsoftonline.com/' }
    $account = New-FakeAzObject 'Microsoft.Azure.Commands.Profile.Models.PSAzureRmAccount' ([ordered]@{
        Id = $accountId; Type = 'ServicePrincipal'; Tenants = [string[]]@($tenant); AccessToken = $null; Credential = $null
        TenantMap = @{}; CertificateThumbprint = $null; ExtendedProperties = @{ Tenants = $tenant }
    })
    $environment = New-FakeAzObject 'Microsoft.Azure.Commands.Profile.Models.PSAzureEnvironment' ([ordered]@{
        Name = $envName; Type = 'Built-in'; EnableAdfsAuthentication = $false; OnPremise = $false
        ActiveDirectoryServiceEndpointResourceId = 'https://management.core.windows.net/'
        ResourceManagerUrl = $arm; ActiveDirectoryAuthority = $authority; GalleryUrl = $null; ManagementPortalUrl = $null
        ServiceManagementUrl = 'https://management.core.windows.net/'; AzureKeyVaultDnsSuffix = 'vault.azure.net'
    })
    $subscriptionObject = New-FakeAzObject 'Microsoft.Azure.Commands.Profile.Models.PSAzureSubscription' ([ordered]@{
        Id = $subscription; Name = 'Fake subscription'; State = 'Enabled'; SubscriptionId = $subscription
        TenantId = $tenant; HomeTenantId = $tenant; ManagedByTenantIds = [string[]]@(); CurrentStorageAccountName = $null
        SubscriptionPolicies = $null; ExtendedProperties = @{}
    })
    $tenantObject = New-FakeAzObject 'Microsoft.Azure.Commands.Profile.Models.PSAzureTenant' ([ordered]@{
        Id = $tenant; TenantId = $tenant; Directory = $null; ExtendedProperties = @{}
    })
    New-FakeAzObject 'Microsoft.Azure.Commands.Profile.Models.Core.PSAzureContext' ([ordered]@{
        Name = "Fake subscription ($subscription) - $tenant - $accountId"
        Account = $account; Environment = $environment; Subscription = $subscriptionObject; Tenant = $tenantObject
        TokenCache = $null; VersionProfile = $null; ExtendedProperties = @{}
    })
}

function Get-AzAccessToken {
    [CmdletBinding()]
    param(
        [string]$ResourceTypeName, [string]$ResourceUrl, [string]$TenantId, [switch]$AsSecureString,
        [Alias('AzContext', 'AzureRmContext', 'AzureCredential')]$DefaultProfile
    )
    if ($null -eq $global:AztbFakeAzTokenCalls) { $global:AztbFakeAzTokenCalls = [System.Collections.Generic.List[object]]::new() }
    $global:AztbFakeAzTokenCalls.Add([pscustomobject]@{ ResourceUrl = $ResourceUrl; DefaultProfile = $null -ne $DefaultProfile })
    if (-not $env:AZTB_FAKE_AZ_TOKEN -or -not ($env:AZTB_FAKE_AZ_SUBSCRIPTION -or $DefaultProfile)) {
        $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
            [System.InvalidOperationException]::new('Run Connect-AzAccount to login.'), 'Microsoft.Azure.Commands.Profile.GetAzureRmAccessTokenCommand', 'CloseError', $null))
    }
    $payload = $env:AZTB_FAKE_AZ_TOKEN.Split('.')[1].Replace('-', '+').Replace('_', '/')
    $payload += '=' * ((4 - $payload.Length % 4) % 4)
    $claims = [System.Text.Json.JsonDocument]::Parse([System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($payload)))
    $exp = $claims.RootElement.GetProperty('exp').GetInt64()
    $plain = $env:AZTB_FAKE_AZ_PLAIN_TOKEN -eq '1' -and -not $AsSecureString
    $token = if ($plain) { $env:AZTB_FAKE_AZ_TOKEN } else {
        $s = [securestring]::new(); foreach ($ch in $env:AZTB_FAKE_AZ_TOKEN.ToCharArray()) { $s.AppendChar($ch) }; $s.MakeReadOnly(); $s
    }
    New-FakeAzObject ($(if ($plain) { 'Microsoft.Azure.Commands.Profile.Models.PSAccessToken' } else { 'Microsoft.Azure.Commands.Profile.Models.PSSecureAccessToken' })) ([ordered]@{
        Token = $token; ExpiresOn = [datetimeoffset]::FromUnixTimeSeconds($exp); TenantId = $env:AZTB_FAKE_AZ_TENANT
        UserId = if ($env:AZTB_FAKE_AZ_ACCOUNT) { $env:AZTB_FAKE_AZ_ACCOUNT } else { '00000000-0000-0000-0000-00000000a11c' }; Type = 'Bearer'
    })
}
