# Fuzz: generated bad input for every cmdlet of the module, in one PowerShell session pointed at the
# emulator (test/e2e/fuzz.test.ts runs it and checks the summary).
#
# Each case calls one cmdlet in one parameter set with valid values for most parameters and a bad
# one (wrong type, empty, huge, unicode, control characters, path-like ids, malformed dates, JWT
# garbage, bad hashtables, bad certificates) for at least one, on a runspace of its own with a time
# limit. A case passes when it ends in a correct result (the cmdlet's output type) or in PowerShell
# errors that are clear: raised by the cmdlet (WriteError / ThrowTerminatingError) or by the
# engine's parameter binding, with a message — not a runtime error from inside the module's code
# ("You cannot call a method on a null-valued expression" is a bug). The server must never die
# (same process before and after) and no case may hang.
param(
    [Parameter(Mandatory)][string]$Manifest,
    [int]$Cases = 1000,
    [int]$Seed = 20261201,
    [int]$CaseTimeoutSeconds = 30
)
$ErrorActionPreference = 'Stop'
Import-Module $Manifest
$module = Get-Module AzTokenBridge
$moduleRoot = [System.IO.Path]::GetDirectoryName($module.Path)

$sub = $env:AZURE_SUBSCRIPTION_ID
$map = "/subscriptions/$sub/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr/scopeMaps/newmap"
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$seedToken = New-AzContainerRegistryToken -Name fz-seed -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
$secret = [System.Net.NetworkCredential]::new('', $env:AZURE_CLIENT_SECRET).SecurePassword
$credential = [pscredential]::new($env:AZURE_CLIENT_ID, $secret)
$partnerScope = 'https://api.partnercenter.microsoft.com/.default'
$accessToken = (New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $credential -Tenant $env:AZURE_TENANT_ID -Scopes $partnerScope -ServicePrincipal).AccessToken
$serverPid = & $module { (Get-AzTokenBridgeServer).ProcessId }

$rng = [System.Random]::new($Seed)
function Pick($items) { $items[$rng.Next($items.Count)] }
$n = 0
function Fresh { $script:n++; "fz-$($script:n)" }

# Bad values, each made anew per use (some are mutable).
$bad = @(
    { $null }, { '' }, { ' ' }, { 'x' * 5000 }, { '名前-テスト-ñ' }, { "tab`tnew`nline" }, { [string][char]0 },
    { "bell$([char]7)esc$([char]27)[31m" }, { '../../x' }, { '/subscriptions/../../providers/x' }, { 'a/b?c=d#e' },
    { '%2e%2e%2fx' }, { 'https://evil.example/x' }, { '//evil.example/x' }, { -1 }, { 0 }, { [int]::MaxValue },
    { 3.14 }, { [double]::NaN }, { @() }, { @(1, 'two', $null) }, { @{} }, { @{ a = 1 } }, { [pscustomobject]@{ Id = '/x' } },
    { [pscustomobject]@{} }, { [datetime]::MinValue }, { [datetime]::MaxValue }, { '2026-13-45T99:99:99' }, { 'not a date' },
    { 'eyJhbGciOiJub25lIn0.e30.' }, { 'eyJ.garbage.x' }, { 'a.b.c.d.e' }, { [guid]::Empty }, { [guid]::NewGuid().ToString() },
    { @{ Name = 5; Expiry = 'x' } }, { @{ Name = 'password3' } }, { @(@{ Thumbprint = 'zz'; EncodedPemCertificate = 'not base64!' }) },
    { @{ ScopeMapId = '../../evil' } }, { @{ TenantId = 'x'; ClientId = 'y'; ClientSecret = 'z'; Bogus = 1 } },
    { @{ CertificatePath = '/nonexistent.pem'; TenantId = 't'; ClientId = 'c' } }, { [pscredential]::new('u', [securestring]::new()) },
    { $true }, { [System.Text.Encoding]::UTF8 }, { 'ZZ' * 20 }, { 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' }
)

# Valid values by parameter name (for the cmdlet at hand).
function Valid([string]$Command, [string]$Parameter) {
    $acr = $Command -like '*ContainerRegistry*'
    switch ($Parameter) {
        'Context' { $context }
        'UserId' { 'integration' }
        'KeyType' { Pick @('Primary', 'Secondary') }
        'Expiry' { [datetime]::UtcNow.AddHours(2) }
        'ResourceGroupName' { if ($acr) { 'lnxtest' } else { 'powershelltest' } }
        'ServiceName' { 'powershellsdkservice' }
        'ResourceId' { "/subscriptions/$sub/resourceGroups/powershelltest/providers/Microsoft.ApiManagement/service/powershellsdkservice" }
        'FirstName' { 'Adele' }
        'LastName' { 'Vance' }
        'State' { Pick @('Active', 'Blocked') }
        'Email' { 'adele.vance@contoso.com' }
        'GroupId' { 'developers' }
        'RegistryName' { 'lnxcr' }
        'Name' {
            if ($Command -eq 'New-AzContainerRegistryToken') { Fresh }
            elseif ($Command -eq 'New-AzContainerRegistryCredentials') { Pick @('password1', 'password2') }
            elseif ($Command -eq 'Get-AzContainerRegistryScopeMap') { 'newmap' }
            else { 'fz-seed' }
        }
        'SubscriptionId' { $sub }
        'TokenId' { $seedToken.Id }
        'InputObject' {
            if ($Command -eq 'Get-AzContainerRegistryScopeMap') { $map }
            elseif ($Command -eq 'Get-AzContainerRegistryToken') { $seedToken }
            else { @{ SubscriptionId = $sub; ResourceGroupName = 'lnxtest'; RegistryName = 'lnxcr'; TokenName = (Fresh) } }
        }
        'TokenCreateParameter' { @{ ScopeMapId = $map } }
        'CredentialsPassword' { @(@{ Name = 'password1' }) }
        'CredentialsCertificate' { @() }
        'ScopeMapId' { $map }
        'Status' { Pick @('enabled', 'disabled') }
        'AccessToken' { $accessToken }
        'ApplicationId' { $env:AZURE_CLIENT_ID }
        'Credential' { $credential }
        'Environment' { 'AzureCloud' }
        'Scopes' { , @($partnerScope) }
        'Tenant' { $env:AZURE_TENANT_ID }
        'CertificateThumbprint' { 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' }
        'RefreshToken' { 'not-a-refresh-token' }
        'Module' { 'ExchangeOnline' }
        'ThrottleLimit' { 4 }
        default { $null }
    }
}

# Commands and sets under test. Interactive sign-ins (a browser, a device code, a user sign-in with
# -UseAuthorizationCode) wait for a person: they are tested in partner.test.ts, not fuzzed here.
$commonNames = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
$skipParameters = @('AsJob', 'UseDeviceAuthentication', 'UseAuthorizationCode')
$targets = foreach ($command in $module.ExportedFunctions.Values) {
    if ($command.Name -like '*-AzTokenBridgeEmulator') { continue }
    foreach ($set in $command.ParameterSets) {
        if ($command.Name -eq 'New-PartnerAccessToken' -and $set.Name -in 'User', 'ByModule') { continue }
        $parameters = @($set.Parameters | Where-Object { $_.Name -notin $commonNames -and $_.Name -notin $skipParameters })
        [pscustomobject]@{ Command = $command.Name; Set = $set.Name; Parameters = $parameters }
    }
}

# Output type names each command may write.
$outputTypes = @{}
foreach ($command in $module.ExportedFunctions.Values) { $outputTypes[$command.Name] = @($command.OutputType | ForEach-Object Name) }

$iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
$iss.ImportPSModule($Manifest)
$runspace = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace($iss)
$runspace.Open()

$summary = [ordered]@{ Cases = 0; Results = 0; ClearErrors = 0; Unclear = 0; WrongOutput = 0; Hangs = 0; ServerRestarts = 0 }
$problems = [System.Collections.Generic.List[object]]::new()
for ($i = 0; $i -lt $Cases; $i++) {
    $target = Pick $targets
    $params = @{}
    $fuzzed = [System.Collections.Generic.List[string]]::new()
    $mustFuzz = Pick @($target.Parameters | ForEach-Object Name)
    foreach ($p in $target.Parameters) {
        $fuzzIt = $p.Name -eq $mustFuzz -or $rng.NextDouble() -lt 0.15
        if (-not $p.IsMandatory -and -not $fuzzIt -and $rng.NextDouble() -lt 0.6) { continue }
        if ($p.ParameterType -eq [switch]) { $params[$p.Name] = [bool]$rng.Next(2); continue }
        if ($fuzzIt) { $params[$p.Name] = & (Pick $bad); $fuzzed.Add($p.Name) }
        else { $params[$p.Name] = Valid $target.Command $p.Name }
    }
    if ($target.Command -eq 'New-AzContainerRegistryToken' -and $params['GeneratePassword'] -and $params['NoWait']) { $params['NoWait'] = $false }

    $ps = [powershell]::Create()
    $ps.Runspace = $runspace
    [void]$ps.AddCommand($target.Command).AddParameters($params)
    $outcome = 'ok'
    $detail = ''
    $output = $null
    $handle = $ps.BeginInvoke()
    if (-not $handle.AsyncWaitHandle.WaitOne($CaseTimeoutSeconds * 1000)) {
        $outcome = 'hang'
        $ps.Stop()
    } else {
        try { $output = $ps.EndInvoke($handle) } catch { $output = $null; $terminating = $_.Exception }
    }
    $errors = @($ps.Streams.Error)
    if ($terminating) {
        $record = if ($terminating -is [System.Management.Automation.IContainsErrorRecord]) { $terminating.ErrorRecord } else { $null }
        if ($terminating.InnerException -is [System.Management.Automation.IContainsErrorRecord]) { $record = $terminating.InnerException.ErrorRecord }
        if ($record) { $errors += $record } else { $errors += [System.Management.Automation.ErrorRecord]::new($terminating, 'Terminating', 'NotSpecified', $null) }
        $terminating = $null
    }
    $ps.Dispose()

    $summary.Cases++
    if ($outcome -eq 'hang') { $summary.Hangs++ }
    elseif ($errors.Count -gt 0) {
        $unclear = @($errors | Where-Object {
            $script = $_.InvocationInfo.ScriptName
            -not $_.Exception.Message -or ($script -and $script.StartsWith($moduleRoot)) -or $_.FullyQualifiedErrorId -match '^(InvokeMethodOnNull|NullArray|CannotIndex|PropertyNotFoundStrict|MethodNotFound|RuntimeException)'
        })
        if ($unclear.Count -gt 0) {
            $summary.Unclear++
            $outcome = 'unclear'
            $detail = "$($unclear[0].FullyQualifiedErrorId): $($unclear[0].Exception.Message) @ $($unclear[0].InvocationInfo.ScriptName):$($unclear[0].InvocationInfo.ScriptLineNumber)"
        } else { $summary.ClearErrors++ }
    } else {
        $expected = $outputTypes[$target.Command]
        # -NoWait writes the operation's first answer, as Az's generated cmdlets do.
        if ($params['NoWait']) { $expected = @($expected) + 'Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Runtime.PowerShell.AsyncOperationResponse' }
        $wrong = @($output | Where-Object { $null -ne $_ -and $expected.Count -gt 0 -and -not ($_.PSTypeNames | Where-Object { $_ -in $expected }) })
        if ($wrong.Count -gt 0) { $summary.WrongOutput++; $outcome = 'wrong-output'; $detail = ($wrong[0].PSTypeNames -join ',') }
        else { $summary.Results++ }
    }
    $now = & $module { $c = Get-AzTokenBridgeServer; if ($c -and $c.IsAlive) { $c.ProcessId } else { 0 } }
    if ($now -ne $serverPid) {
        $summary.ServerRestarts++
        if ($outcome -eq 'ok') { $outcome = 'server-died' }
        $serverPid = $now
    }
    if ($outcome -notin 'ok') {
        $shown = @{}
        foreach ($k in $params.Keys) { $v = $params[$k]; $shown[$k] = if ($null -eq $v) { '$null' } else { $s = [string]$v; if ($s.Length -gt 60) { $s.Substring(0, 60) + '…' } else { $s } } }
        $problems.Add([pscustomobject]@{ Case = $i; Command = $target.Command; Set = $target.Set; Outcome = $outcome; Fuzzed = ($fuzzed -join ','); Detail = $detail; Params = $shown })
    }
}
$runspace.Dispose()
[pscustomobject]@{ Summary = [pscustomobject]$summary; Problems = $problems.ToArray() }
