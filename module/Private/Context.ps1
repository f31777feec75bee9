# Call context: what the server needs to know about sign-in for one call (src/protocol.ts,
# CallContext): the session's environment variables, -DefaultProfile, and the Az.Accounts context
# when that module is loaded in the session.

# The session variables a call sends are the server's list, src/protocol.ts SESSION_VARIABLES
# ($script:SessionVariables, from Protocol.generated.ps1): no other variable leaves the session.
# Split on first use into exact names and prefixes.
$script:SessionVariableNames = $null
$script:SessionVariablePrefixes = $null

# The -DefaultProfile keys ($script:ProfileKeys) and the variables that configure an identity of
# their own ($script:IdentityVariables: with one set, the Az.Accounts context is not asked for a
# token, as the chain would use the variable first) come from src/protocol.ts via
# Protocol.generated.ps1.

function ConvertTo-AzTokenBridgePlainText {
    # SecureString (Az.Accounts 5 tokens, secrets typed by users) → string; anything else as string.
    param($Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [psobject]) { $Value = $Value.psobject.BaseObject }
    if ($Value -is [securestring]) { return [System.Net.NetworkCredential]::new('', $Value).Password }
    [string]$Value
}

function Get-AzTokenBridgeProfileSpec {
    # A -DefaultProfile hashtable -> the wire's profile: its keys as given, its values as strings
    # (a SecureString made plain). The server checks the keys and what they name together
    # (src/azure/profile.ts, credentials.ts), before any network call. Only the certificate path is
    # read here: a relative path is the session's location, not the server's.
    param([System.Collections.IDictionary]$Profile)
    $spec = [ordered]@{}
    foreach ($key in $Profile.Keys) {
        $value = [string](ConvertTo-AzTokenBridgePlainText $Profile[$key])
        if ($value -and $script:ProfileKeys[[string]$key] -eq 'certificatePath') {
            $value = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($value)
        }
        $spec[[string]$key] = $value
    }
    $spec
}

function Get-AzTokenBridgeAzContextSpec {
    # An Az.Accounts context (PSAzureContext, or a profile holding DefaultContext) → AzContextSpec.
    # With -WithToken, asks Get-AzAccessToken for an ARM token. Returns the spec or an exception.
    param($AzContext, [string]$Source, [switch]$WithToken, $TokenProfile)
    if ($AzContext.psobject.Properties['DefaultContext'] -and $AzContext.DefaultContext) { $AzContext = $AzContext.DefaultContext }
    $spec = [ordered]@{ source = $Source }
    $environment = $AzContext.Environment
    $values = [ordered]@{
        subscriptionId           = $AzContext.Subscription.Id
        tenantId                 = if ($AzContext.Tenant.Id) { $AzContext.Tenant.Id } else { $AzContext.Subscription.TenantId }
        environment              = $environment.Name
        resourceManagerUrl       = $environment.ResourceManagerUrl
        activeDirectoryAuthority = $environment.ActiveDirectoryAuthority
        account                  = $AzContext.Account.Id
    }
    foreach ($k in $values.Keys) { if ($values[$k]) { $spec[$k] = [string]$values[$k] } }
    if (-not $WithToken) { return $spec }

    $getToken = Get-Command -Name Get-AzAccessToken -CommandType Cmdlet, Function -ErrorAction Ignore
    if (-not $getToken) {
        return [System.InvalidOperationException]::new('An Az context was given, but Get-AzAccessToken (Az.Accounts) is not available in this session to get a token for it.')
    }
    $resource = if ($spec.Contains('resourceManagerUrl')) { $spec['resourceManagerUrl'] } else { 'https://management.azure.com/' }
    $tokenArgs = @{ ResourceUrl = $resource; ErrorAction = 'Stop' }
    if ($null -ne $TokenProfile) { $tokenArgs['DefaultProfile'] = $TokenProfile }
    try {
        $token = & $getToken @tokenArgs
    } catch {
        return [System.Security.Authentication.AuthenticationException]::new("Get-AzAccessToken failed for the Az context ($Source): $($_.Exception.Message)", $_.Exception)
    }
    $plain = ConvertTo-AzTokenBridgePlainText $token.Token
    if (-not $plain) { return [System.Security.Authentication.AuthenticationException]::new("Get-AzAccessToken returned no token for the Az context ($Source).") }
    $spec['accessToken'] = $plain
    if ($token.ExpiresOn) {
        $expires = $token.ExpiresOn
        if ($expires -is [datetime]) { $expires = [datetimeoffset]$expires.ToUniversalTime() }
        $spec['expiresOn'] = ([datetimeoffset]$expires).UtcDateTime.ToString('o', [cultureinfo]::InvariantCulture)
    }
    $spec
}

function Get-AzTokenBridgeCallContext {
    # The CallContext for one call, read from the session now. Returns it, or an exception when
    # -DefaultProfile is unusable. -EnvironmentOnly: the variables only (no Az.Accounts context).
    param($DefaultProfile, [switch]$EnvironmentOnly)
    if ($null -eq $script:SessionVariableNames) {
        # (Plain loops: a pipeline's cmdlets cost a cmdlet's first call their own first use.)
        $prefixes = [System.Collections.Generic.List[string]]::new()
        $names = [System.Collections.Generic.List[string]]::new()
        foreach ($key in $script:SessionVariables.Keys) {
            if ($key.EndsWith('*')) { $prefixes.Add($key.TrimEnd('*')) } else { $names.Add($key) }
        }
        $script:SessionVariablePrefixes = $prefixes.ToArray()
        $script:SessionVariableNames = $names.ToArray()
    }
    # The named variables that are set, then those under a prefix (case-sensitive where the
    # platform's variables are, Unix; not on Windows), in an [ordered]-like dictionary: compiled
    # (module/Client/SessionEnvironment.cs), one call instead of a loop over the whole environment.
    $envVars = [AzTokenBridge.Client.SessionEnvironment]::Capture($script:SessionVariableNames, $script:SessionVariablePrefixes)
    $context = [ordered]@{ env = $envVars }
    if ($EnvironmentOnly) { return $context }
    # A hashtable arrives wrapped in a PSObject; unwrap only that (a [pscustomobject] context's
    # properties live on the wrapper).
    if ($DefaultProfile -is [psobject] -and $DefaultProfile.psobject.BaseObject -is [System.Collections.IDictionary]) { $DefaultProfile = $DefaultProfile.psobject.BaseObject }
    if ($DefaultProfile -is [System.Collections.IDictionary]) {
        $context['profile'] = Get-AzTokenBridgeProfileSpec $DefaultProfile
        return $context
    }
    if ($null -ne $DefaultProfile) {
        # An Az context (PSAzureContext: Account, Environment, Subscription, Tenant) or a profile
        # holding one (DefaultContext); anything else (a number, a string) is said to be neither.
        $props = $DefaultProfile.psobject.Properties
        if (-not @('DefaultContext', 'Account', 'Environment', 'Subscription', 'Tenant' | Where-Object { $props[$_] }).Count) {
            $type = [Microsoft.PowerShell.ToStringCodeMethods]::Type($DefaultProfile.psobject.BaseObject.GetType())
            $given = Format-AzTokenBridgeInput ([string]$DefaultProfile)
            if ($DefaultProfile -isnot [string]) { $given = $given.Substring(1, $given.Length - 2) }
            return [System.ArgumentException]::new("-DefaultProfile takes a hashtable (keys: $($script:ProfileKeys.Keys -join ', ')) or an Az context (what Get-AzContext returns); it was given [$type] $given.", 'DefaultProfile')
        }
        $spec = Get-AzTokenBridgeAzContextSpec -AzContext $DefaultProfile -Source 'DefaultProfile' -WithToken -TokenProfile $DefaultProfile
        if ($spec -is [System.Exception]) { return $spec }
        $context['azContext'] = $spec
        return $context
    }
    # Az.Accounts loaded in this session: its context gives the subscription (after
    # AZURE_SUBSCRIPTION_ID) and, when no variable configures an identity, a token.
    if (Get-Module -Name Az.Accounts) {
        $azContext = $null
        try { $azContext = Get-AzContext -ErrorAction Stop } catch { $azContext = $null }
        if ($null -ne $azContext) {
            $needToken = -not @($script:IdentityVariables | Where-Object { $envVars[$_] }).Count
            $spec = Get-AzTokenBridgeAzContextSpec -AzContext $azContext -Source 'Az.Accounts' -WithToken:$needToken
            # A failed Get-AzAccessToken is not fatal here: the chain may still sign in otherwise,
            # and if nothing works the server's error lists what was tried.
            if ($spec -isnot [System.Exception]) { $context['azContext'] = $spec }
        }
    }
    $context
}
