# Azure Container Registry helpers shared by the cmdlets: identity (InputObject) resolution, the
# token body from hashtables or objects, output objects with the Az type names, and the token
# PUT's long-running operation loop (src/protocol.ts, acr/*).

$script:AcrModels = 'Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models'
$script:AcrTokenType = "$script:AcrModels.Api20220201Preview.IToken"
$script:AcrScopeMapType = "$script:AcrModels.Api20220201Preview.IScopeMap"
$script:AcrAsyncResponseType = 'Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Runtime.PowerShell.AsyncOperationResponse'
$script:AcrTokenIdPattern = [regex]::new('^/subscriptions/(?<subscriptionId>[^/]+)/resourceGroups/(?<resourceGroupName>[^/]+)/providers/Microsoft.ContainerRegistry/registries/(?<registryName>[^/]+)/tokens/(?<tokenName>[^/]+)$', 'IgnoreCase')
$script:AcrScopeMapIdPattern = [regex]::new('^/subscriptions/(?<subscriptionId>[^/]+)/resourceGroups/(?<resourceGroupName>[^/]+)/providers/Microsoft.ContainerRegistry/registries/(?<registryName>[^/]+)/scopeMaps/(?<scopeMapName>[^/]+)$', 'IgnoreCase')
$script:AcrResourceGroupPattern = [regex]::new('^/subscriptions/(?<subscriptionId>[^/]+)/resourceGroups/(?<resourceGroupName>[^/]+)/providers/', 'IgnoreCase')

function Get-AzTokenBridgeMember {
    # A property of a hashtable (keys compared without case) or of any object; $null when absent.
    param($Object, [string]$Name)
    if ($null -eq $Object) { return $null }
    if ($Object -is [psobject] -and $Object.psobject.BaseObject -is [System.Collections.IDictionary]) { $Object = $Object.psobject.BaseObject }
    if ($Object -is [System.Collections.IDictionary]) {
        foreach ($key in $Object.Keys) { if ([string]::Equals([string]$key, $Name, [System.StringComparison]::OrdinalIgnoreCase)) { return $Object[$key] } }
        return $null
    }
    $p = ([psobject]$Object).psobject.Properties[$Name]
    if ($p) { return $p.Value }
    $null
}

function ConvertFrom-AzTokenBridgeJsonText {
    # A JSON object given as a string (Az's type converters accept those) → PSCustomObject.
    param([string]$Text)
    $doc = [System.Text.Json.JsonDocument]::Parse([System.ReadOnlyMemory[byte]]::new([System.Text.Encoding]::UTF8.GetBytes($Text)), [System.Text.Json.JsonDocumentOptions]::new())
    try { ConvertFrom-AzTokenBridgeJsonElement $doc.RootElement } finally { $doc.Dispose() }
}

function Resolve-AzTokenBridgeAcrIdentity {
    # -InputObject (IContainerRegistryIdentity) → @{ SubscriptionId; ResourceGroupName; RegistryName;
    # <Leaf> }, or an ErrorRecord. Accepts what Az's identity converter accepts: a resource id
    # string, a JSON string, a hashtable, any object (an Id wins over the separate parts, as in Az).
    param($InputObject, [string]$Leaf = 'TokenName', [string]$Collection = 'tokens')
    $value = $InputObject
    # Unwrap strings and hashtables only: a PSCustomObject's properties live on its wrapper.
    if ($value -is [psobject] -and ($value.psobject.BaseObject -is [string] -or $value.psobject.BaseObject -is [System.Collections.IDictionary])) { $value = $value.psobject.BaseObject }
    if ($value -is [string]) {
        $value = if ($value.TrimStart().StartsWith('{')) {
            try { ConvertFrom-AzTokenBridgeJsonText $value } catch {
                return [System.Management.Automation.ErrorRecord]::new([System.ArgumentException]::new("InputObject is not valid JSON: $($_.Exception.Message)", 'InputObject'), 'InvalidInputObject', 'InvalidArgument', $InputObject)
            }
        } else { @{ Id = $value } }
    }
    $id = [string](Get-AzTokenBridgeMember $value 'Id')
    $pattern = if ($Leaf -eq 'TokenName') { $script:AcrTokenIdPattern } else { $script:AcrScopeMapIdPattern }
    if ($id) {
        $m = $pattern.Match($id)
        if (-not $m.Success) {
            $template = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerRegistry/registries/{registryName}/$Collection/{$($Leaf.Substring(0,1).ToLowerInvariant() + $Leaf.Substring(1))}"
            return [System.Management.Automation.ErrorRecord]::new([System.ArgumentException]::new("Invalid identity for URI '$template'", 'InputObject'), 'InvalidIdentity', 'InvalidArgument', $InputObject)
        }
        return @{ SubscriptionId = $m.Groups['subscriptionId'].Value; ResourceGroupName = $m.Groups['resourceGroupName'].Value; RegistryName = $m.Groups['registryName'].Value; $Leaf = $m.Groups[$Leaf.Substring(0, 1).ToLowerInvariant() + $Leaf.Substring(1)].Value }
    }
    $parts = @{}
    foreach ($name in 'SubscriptionId', 'ResourceGroupName', 'RegistryName', $Leaf) {
        $v = [string](Get-AzTokenBridgeMember $value $name)
        if (-not $v) {
            # Az's text (generated ViaIdentity cmdlets, acr.md §1.5).
            return [System.Management.Automation.ErrorRecord]::new([System.ArgumentException]::new("InputObject has null value for InputObject.$name", 'InputObject'), 'InputObjectNullValue', 'InvalidArgument', $InputObject)
        }
        $parts[$name] = $v
    }
    $parts
}

function ConvertTo-AzTokenBridgeWireDate {
    # DateTime or string → ISO-8601 for the wire: a local time is converted to UTC, a time without
    # a kind is taken as UTC (as Az's serializer writes it with AdjustToUniversal).
    param($Value)
    if ($null -eq $Value -or ($Value -is [string] -and $Value -eq '')) { return $null }
    if ($Value -is [psobject]) { $Value = $Value.psobject.BaseObject }
    if ($Value -is [datetimeoffset]) { return $Value.UtcDateTime.ToString('o', [cultureinfo]::InvariantCulture) }
    if ($Value -is [datetime]) {
        $utc = switch ($Value.Kind) { 'Local' { $Value.ToUniversalTime() } 'Unspecified' { [datetime]::SpecifyKind($Value, 'Utc') } default { $Value } }
        return $utc.ToString('o', [cultureinfo]::InvariantCulture)
    }
    [string]$Value
}

function ConvertTo-AzTokenBridgeAcrCredentials {
    # -CredentialsCertificate / -CredentialsPassword elements (hashtables or objects) → wire entries.
    # A password's Value is never sent (read-only; the service generates it), as with Az.
    param($Items, [ValidateSet('Certificate', 'Password')][string]$Kind)
    $list = [System.Collections.Generic.List[object]]::new()
    foreach ($item in @($Items)) {
        if ($null -eq $item) { continue }
        if ($item -is [string] -and $item.TrimStart().StartsWith('{')) { $item = ConvertFrom-AzTokenBridgeJsonText $item }
        $entry = [ordered]@{}
        $name = Get-AzTokenBridgeMember $item 'Name'
        if ($null -ne $name -and [string]$name -ne '') { $entry['name'] = [string]$name }
        $expiry = ConvertTo-AzTokenBridgeWireDate (Get-AzTokenBridgeMember $item 'Expiry')
        if ($expiry) { $entry['expiry'] = $expiry }
        if ($Kind -eq 'Password') {
            $created = ConvertTo-AzTokenBridgeWireDate (Get-AzTokenBridgeMember $item 'CreationTime')
            if ($created) { $entry['creationTime'] = $created }
        } else {
            foreach ($pair in @(@('Thumbprint', 'thumbprint'), @('EncodedPemCertificate', 'encodedPemCertificate'))) {
                $v = Get-AzTokenBridgeMember $item $pair[0]
                if ($null -ne $v -and [string]$v -ne '') { $entry[$pair[1]] = [string]$v }
            }
        }
        $list.Add($entry)
    }
    , $list.ToArray()
}

function ConvertTo-AzTokenBridgeAcrTokenBody {
    # AcrTokenProperties (src/protocol.ts) from -TokenCreateParameter (a hashtable, a JSON string,
    # an IToken such as this cmdlet's output) or from the expanded parameters.
    param($TokenCreateParameter, [System.Collections.IDictionary]$Expanded)
    $source = if ($null -ne $Expanded) { $Expanded } else { $TokenCreateParameter }
    if ($source -is [psobject] -and $source.psobject.BaseObject -is [string]) { $source = $source.psobject.BaseObject }
    if ($source -is [string]) {
        try { $source = ConvertFrom-AzTokenBridgeJsonText $source } catch {
            return [System.ArgumentException]::new("TokenCreateParameter is not valid JSON: $($_.Exception.Message)", 'TokenCreateParameter')
        }
    }
    $body = [ordered]@{}
    $scopeMapId = Get-AzTokenBridgeMember $source 'ScopeMapId'
    if ($scopeMapId) { $body['scopeMapId'] = [string]$scopeMapId }
    $status = Get-AzTokenBridgeMember $source 'Status'
    if ($null -ne $status -and [string]$status -ne '') { $body['status'] = [string]$status }
    $certs = Get-AzTokenBridgeMember $source 'CredentialsCertificate'
    if ($null -ne $certs) { $body['certificates'] = ConvertTo-AzTokenBridgeAcrCredentials $certs -Kind Certificate }
    $passwords = Get-AzTokenBridgeMember $source 'CredentialsPassword'
    if ($null -ne $passwords) { $body['passwords'] = ConvertTo-AzTokenBridgeAcrCredentials $passwords -Kind Password }
    $body
}

function ConvertFrom-AzTokenBridgeWireDate {
    param([string]$Text)
    if (-not $Text) { return $null }
    [datetime]::Parse($Text, [cultureinfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::AdjustToUniversal -bor [System.Globalization.DateTimeStyles]::AssumeUniversal)
}

function ConvertTo-AzTokenBridgeAcrToken {
    # AcrToken (src/protocol.ts) → IToken, with Token.cs's public properties in its order.
    param($Token)
    $certificates = foreach ($c in @($Token.certificates)) {
        if ($null -eq $c) { continue }
        $o = [pscustomobject][ordered]@{ Name = $c.name; Expiry = ConvertFrom-AzTokenBridgeWireDate $c.expiry; Thumbprint = $c.thumbprint; EncodedPemCertificate = $c.encodedPemCertificate }
        $o.psobject.TypeNames.Insert(0, "$script:AcrModels.Api20220201Preview.ITokenCertificate")
        $o
    }
    $passwords = foreach ($p in @($Token.passwords)) {
        if ($null -eq $p) { continue }
        $o = [pscustomobject][ordered]@{ Name = $p.name; CreationTime = ConvertFrom-AzTokenBridgeWireDate $p.creationTime; Expiry = ConvertFrom-AzTokenBridgeWireDate $p.expiry; Value = $p.value }
        $o.psobject.TypeNames.Insert(0, "$script:AcrModels.Api20220201Preview.ITokenPassword")
        $o
    }
    $p = Get-AzTokenBridgeAcrResourceProperties $Token
    $p.CreationDate = ConvertFrom-AzTokenBridgeWireDate $Token.creationDate
    $p.ProvisioningState = $Token.provisioningState
    $p.ScopeMapId = $Token.scopeMapId
    $p.Status = $Token.status
    $p.CredentialsCertificate = [object[]]@($certificates)
    $p.CredentialsPassword = [object[]]@($passwords)
    $o = [pscustomobject]$p
    $o.psobject.TypeNames.Insert(0, $script:AcrTokenType)
    $o
}

function Get-AzTokenBridgeAcrResourceProperties {
    # The properties every registry child resource (token, scope map) starts with, in Az's order:
    # the ARM resource's, then its systemData flattened. The caller adds its own, then casts.
    param($Resource)
    $rg = $script:AcrResourceGroupPattern.Match([string]$Resource.id)
    $sd = $Resource.systemData
    [ordered]@{
        Id                           = [string]$Resource.id
        Name                         = [string]$Resource.name
        Type                         = [string]$Resource.type
        ResourceGroupName            = if ($rg.Success) { $rg.Groups['resourceGroupName'].Value } else { $null }
        SystemDataCreatedAt          = ConvertFrom-AzTokenBridgeWireDate $sd.createdAt
        SystemDataCreatedBy          = $sd.createdBy
        SystemDataCreatedByType      = $sd.createdByType
        SystemDataLastModifiedAt     = ConvertFrom-AzTokenBridgeWireDate $sd.lastModifiedAt
        SystemDataLastModifiedBy     = $sd.lastModifiedBy
        SystemDataLastModifiedByType = $sd.lastModifiedByType
    }
}

function ConvertTo-AzTokenBridgeAcrScopeMap {
    param($ScopeMap)
    $p = Get-AzTokenBridgeAcrResourceProperties $ScopeMap
    $p.Action = [string[]]@($ScopeMap.actions)
    $p.CreationDate = ConvertFrom-AzTokenBridgeWireDate $ScopeMap.creationDate
    $p.Description = $ScopeMap.description
    $p.ProvisioningState = $ScopeMap.provisioningState
    $p.TypePropertiesType = $ScopeMap.scopeMapType
    $o = [pscustomobject]$p
    $o.psobject.TypeNames.Insert(0, $script:AcrScopeMapType)
    $o
}

function Write-AzTokenBridgeAcrPollProgress {
    # The window's wait slices while tokens are created: Az's "In progress" / "Checking operation
    # status" record with the percentage of the delay before the oldest waiting input's next poll
    # (once a second), and how many of the inputs so far are written.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window)
    foreach ($item in $Window.Queue) {
        if ($item.DueAt -lt 0 -or $item.Done) { continue }
        $s = $item.State
        $total = [Math]::Max(0L, $item.DueAt - $s.DelayStart)
        $second = [int][Math]::Floor(($Window.Clock.ElapsedMilliseconds - $s.DelayStart) / 1000)
        $key = "$($s.Seq)/$($s.DelayStart)/$second"
        if ($Window.ProgressKey -eq $key -or ($second * 1000 -ge $total -and $Window.ProgressKey -like "$($s.Seq)/$($s.DelayStart)/*")) { return }
        $Window.ProgressKey = $key
        $record = [System.Management.Automation.ProgressRecord]::new(1, 'In progress', 'Checking operation status')
        $record.CurrentOperation = if ($Window.Added -gt 1) { "Creating token '$($s.Params['tokenName'])' ($($Window.Written) of $($Window.Added) tokens created)" } else { "Creating token '$($s.Params['tokenName'])'" }
        $record.PercentComplete = if ($total -gt 0) { [Math]::Min(99, [int]($second * 100000 / $total)) } else { 0 }
        $Cmdlet.WriteProgress($record)
        return
    }
}

function Complete-AzTokenBridgeProgress {
    param([System.Management.Automation.PSCmdlet]$Cmdlet)
    $record = [System.Management.Automation.ProgressRecord]::new(1, 'In progress', 'Completed')
    $record.RecordType = 'Completed'
    $Cmdlet.WriteProgress($record)
}

function Get-AzTokenBridgeOperationTimeout {
    # How long (seconds) a long-running operation may go on before the input fails with
    # OperationTimeout: $env:AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS (a number > 0), else 600. Az's
    # generated cmdlets poll for as long as the service says InProgress; a bound keeps a script from
    # waiting forever on an operation that never ends (issue E).
    $value = 0.0
    if ([double]::TryParse([string]$env:AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS, [System.Globalization.NumberStyles]::Float, [cultureinfo]::InvariantCulture, [ref]$value) -and $value -gt 0) {
        return [Math]::Min($value, 604800.0)
    }
    600.0
}

function Get-AzTokenBridgeAcrTokenHint {
    # How to look at the token later: the Get-AzContainerRegistryToken line for this input.
    param($State)
    $p = $State.Params
    $line = "Get-AzContainerRegistryToken -Name '$($p['tokenName'])' -RegistryName '$($p['registryName'])' -ResourceGroupName '$($p['resourceGroupName'])'"
    if ($p['subscriptionId']) { $line += " -SubscriptionId '$($p['subscriptionId'])'" }
    $line
}

function New-AzTokenBridgeAcrOperationTimeoutError {
    # The operation did not finish within the bound: OperationTimeout, naming the operation's URL,
    # how to check on it later and how to wait longer. The operation itself goes on at the service.
    param($State, [string]$LastStatus)
    $seconds = $State.TimeoutSeconds.ToString('0.###', [cultureinfo]::InvariantCulture)
    $hint = Get-AzTokenBridgeAcrTokenHint $State
    $message = "The operation creating token '$($State.Params['tokenName'])' did not finish within $seconds s (last status: $LastStatus); nothing polls it any more. It may still finish at the service: check the token's ProvisioningState later with $hint, or the operation at $($State.Url). To wait longer, set `$env:AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS (now $seconds)."
    $record = [System.Management.Automation.ErrorRecord]::new([System.TimeoutException]::new($message), 'OperationTimeout', 'OperationTimeout', $State.Target)
    $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new($message)
    $record.ErrorDetails.RecommendedAction = "Check the token later with $hint; set `$env:AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS to wait longer."
    $record
}

function New-AzTokenBridgeAcrOperationNotFoundError {
    # The operation's status URL answered 404: the service no longer knows the operation (expired,
    # or its token deleted meanwhile). Az would show the service's 404 alone; this says what it was.
    param($State, [System.Exception]$Failure)
    $data = $Failure.Data['AzTokenBridge.RpcError'].data
    $hint = Get-AzTokenBridgeAcrTokenHint $State
    $service = "Error Code: $($data.serviceCode); Error Message: $($data.serviceMessage)"
    if ($data.requestId) { $service += "; Request Id: $($data.requestId)" }
    $message = "The status of the operation creating token '$($State.Params['tokenName'])' could not be read: its URL answered 404 Not Found ($service). The service no longer knows the operation; the token may or may not have been created: check it with $hint. The operation's URL: $($State.Url)"
    $record = [System.Management.Automation.ErrorRecord]::new([System.InvalidOperationException]::new($message, $Failure), 'OperationNotFound', 'ObjectNotFound', $State.Target)
    $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new($message)
    $record.ErrorDetails.RecommendedAction = "Check the token with $hint."
    $record
}

function Set-AzTokenBridgeAcrPollDelay {
    # Waits before the next poll as Az's generated TokensCreate_Call does: Retry-After, 30 s when absent.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window, $Item, $Seconds)
    $delay = if ($null -ne $Seconds) { [int]$Seconds } else { 30 }
    $Cmdlet.WriteDebug("Delaying $delay seconds before polling.")
    $Item.State.Phase = 'poll'
    $Item.State.DelayStart = $Window.Clock.ElapsedMilliseconds
    # Never past the operation's deadline: the last poll is made at it.
    $Item.DueAt = [Math]::Min($Item.State.DelayStart + [Math]::Max(0, $delay) * 1000L, $Item.State.Deadline)
}

function Send-AzTokenBridgeAcrStep {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Item, [string]$Method, [System.Collections.IDictionary]$Params)
    $Item.Request = Send-AzTokenBridgeRequest -Cmdlet $Cmdlet -Method $Method -Params $Params -CallContext $Item.State.CallContext
}

function Send-AzTokenBridgeAcrNextPassword {
    # -GeneratePassword: the next POST generateCredentials (one per password named in
    # -CredentialsPassword with its Expiry, or one for both); returns $false when none is left.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Item)
    $s = $Item.State
    if ($s.PasswordCalls.Count -eq 0) { return $false }
    $c = $s.PasswordCalls.Dequeue()
    $ref = $s.Params
    $params = @{ resourceGroupName = $ref['resourceGroupName']; registryName = $ref['registryName']; tokenId = [string]$s.Token.id }
    if ($ref['subscriptionId']) { $params['subscriptionId'] = $ref['subscriptionId'] }
    foreach ($k in $c.Keys) { $params[$k] = $c[$k] }
    $s.Phase = 'password'
    Send-AzTokenBridgeAcrStep $Cmdlet $Item 'acr/generateCredentials' $params
    $true
}

function Step-AzTokenBridgeAcrTokenCreate {
    # One input of New-AzContainerRegistryToken, moved on by the window (module/Private/Window.ps1):
    # the token PUT and its long-running operation as Az's generated TokensCreate_Call runs it
    # (acr.md §2.3): wait Retry-After (30 s when absent) before every poll, poll the
    # Azure-AsyncOperation URL (else Location, else the request URL), stop at Succeeded/Canceled,
    # then GET the token; with -GeneratePassword, then its passwords. Unlike Az, the polling is
    # bounded: an operation still going (InProgress, or any status that is not terminal) at
    # AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS (default 600) after its first answer ends the input with
    # OperationTimeout (the last poll is made at the bound); a 404 from the status URL ends it with
    # OperationNotFound; 5xx are retried by the server's retry policy. State.Phase says which answer
    # (or the end of which wait) this is; the item finishes at a failure, -NoWait's first answer,
    # or with State.Token.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window, $Item)
    $s = $Item.State
    if ($null -ne $Item.Call -and $Item.Call.Failure) {
        $rpc = $Item.Call.Failure.Data['AzTokenBridge.RpcError']
        if ($s.Phase -eq 'poll' -and $null -ne $rpc -and [int]$rpc.data.statusCode -eq 404) {
            $s.ErrorRecord = New-AzTokenBridgeAcrOperationNotFoundError $s $Item.Call.Failure
        }
        return
    }
    switch ($s.Phase) {
        'begin' {
            $first = $Item.Call.Result
            $s.Url = if ($first.azureAsyncOperation) { [string]$first.azureAsyncOperation } elseif ($first.location) { [string]$first.location } else { [string]$first.requestUrl }
            if ($s.NoWait) { return }
            # The operation's bound starts with its first answer.
            $s.TimeoutSeconds = Get-AzTokenBridgeOperationTimeout
            $s.Deadline = $Window.Clock.ElapsedMilliseconds + [long]($s.TimeoutSeconds * 1000)
            $state = if ($first.token) { [string]$first.token.provisioningState } else { '' }
            if ([int]$first.statusCode -eq 200 -and $state -in 'Succeeded', 'Canceled') {
                # An update answered at once: the body is the token (Az would wait 30 s and GET it again).
                $s.Token = $first.token
                $null = Send-AzTokenBridgeAcrNextPassword $Cmdlet $Item
                return
            }
            Set-AzTokenBridgeAcrPollDelay $Cmdlet $Window $Item $first.retryAfterSeconds
        }
        'poll' {
            if ($null -eq $Item.Call) {
                # The wait is over: poll.
                Send-AzTokenBridgeAcrStep $Cmdlet $Item 'acr/pollOperation' @{ url = $s.Url }
                return
            }
            $r = $Item.Call.Result
            Write-AzTokenBridgeTrace $Cmdlet "AzTokenBridge: operation status $(if ($r.status) { $r.status } else { "HTTP $($r.statusCode)" })."
            if ($r.done) {
                $p = $s.Params
                $get = @{ resourceGroupName = $p['resourceGroupName']; registryName = $p['registryName']; tokenName = $p['tokenName'] }
                if ($p['subscriptionId']) { $get['subscriptionId'] = $p['subscriptionId'] }
                $s.Phase = 'get'
                Send-AzTokenBridgeAcrStep $Cmdlet $Item 'acr/getTokens' $get
                return
            }
            if ($r.azureAsyncOperation) { $s.Url = [string]$r.azureAsyncOperation } elseif ($r.location) { $s.Url = [string]$r.location }
            if ($Window.Clock.ElapsedMilliseconds -ge $s.Deadline) {
                # Not finished at its deadline (any status that is not terminal, known or not): the
                # input fails, and nothing polls it any more (the item sends nothing further).
                $s.ErrorRecord = New-AzTokenBridgeAcrOperationTimeoutError $s $(if ($r.status) { [string]$r.status } else { "HTTP $($r.statusCode)" })
                return
            }
            Set-AzTokenBridgeAcrPollDelay $Cmdlet $Window $Item $r.retryAfterSeconds
        }
        'get' {
            $s.Token = @($Item.Call.Result.tokens)[0]
            $null = Send-AzTokenBridgeAcrNextPassword $Cmdlet $Item
        }
        'password' {
            foreach ($p in @($Item.Call.Result.passwords)) { if ($null -ne $p) { $s.Passwords.Add($p) } }
            $null = Send-AzTokenBridgeAcrNextPassword $Cmdlet $Item
        }
    }
}

function New-AzTokenBridgeAcrTokenCreateState {
    # What the window keeps of one New-AzContainerRegistryToken input.
    param([System.Collections.IDictionary]$Params, $Target, $CallContext, [switch]$NoWait, [switch]$GeneratePassword, $Requested)
    $calls = [System.Collections.Generic.Queue[hashtable]]::new()
    if ($GeneratePassword) {
        foreach ($entry in @($Requested)) {
            if ($null -eq $entry -or -not $entry['name']) { continue }
            $c = @{ passwordName = $entry['name'] }
            if ($entry['expiry']) { $c['expiry'] = $entry['expiry'] }
            $calls.Enqueue($c)
        }
        if ($calls.Count -eq 0) { $calls.Enqueue(@{}) }
    }
    @{
        Phase = 'begin'; Params = $Params; Target = $Target; CallContext = $CallContext; NoWait = [bool]$NoWait
        GeneratePassword = [bool]$GeneratePassword; PasswordCalls = $calls; Passwords = [System.Collections.Generic.List[object]]::new()
        Url = $null; Token = $null; DelayStart = 0L; Seq = 0
        # The operation's bound (Get-AzTokenBridgeOperationTimeout), its deadline on the window's
        # clock, and the ErrorRecord an input ends with when it is the module's own (timeout, 404).
        TimeoutSeconds = 0.0; Deadline = [long]::MaxValue; ErrorRecord = $null
    }
}

function Write-AzTokenBridgeAcrTokenCreated {
    # One finished input of New-AzContainerRegistryToken: its token (or -NoWait's Target), or its error.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Item)
    $s = $Item.State
    if ($null -ne $s.ErrorRecord) { Write-AzTokenBridgeErrorRecord $Cmdlet $s.ErrorRecord; return }
    if ($null -ne $Item.Call -and $Item.Call.Failure) { Write-AzTokenBridgeError -Cmdlet $Cmdlet -Exception $Item.Call.Failure -Target $s.Target; return }
    if ($s.NoWait) {
        $response = [pscustomobject]@{ Target = $s.Url }
        $response.psobject.TypeNames.Insert(0, $script:AcrAsyncResponseType)
        $response
        return
    }
    $token = $s.Token
    if ($s.GeneratePassword) {
        # The token with the generated passwords (and their values) in place of their metadata.
        $names = @($s.Passwords | ForEach-Object { [string]$_.name })
        $kept = @($token.passwords | Where-Object { $null -ne $_ -and [string]$_.name -notin $names })
        $token.passwords = [object[]](@($kept) + @($s.Passwords) | Where-Object { $null -ne $_ })
    }
    ConvertTo-AzTokenBridgeAcrToken $token
}

function Send-AzTokenBridgeAcrRegistryItem {
    # Shared by Get-AzContainerRegistryToken and Get-AzContainerRegistryScopeMap (they differ in the
    # collection only), in `process`: one input's request (one item by -Name or -InputObject, or the
    # registry's list) into the window; Write-AzTokenBridgeAcrRegistryItem writes its answer.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window, [ValidateSet('Token', 'ScopeMap')][string]$Kind, [System.Collections.IDictionary]$Bound, $CallContext)
    $leaf = "$($Kind)Name"
    $wireLeaf = if ($Kind -eq 'Token') { 'tokenName' } else { 'scopeMapName' }
    if ($Cmdlet.ParameterSetName -eq 'GetViaIdentity') {
        $identity = Resolve-AzTokenBridgeAcrIdentity $Bound['InputObject'] -Leaf $leaf -Collection $(if ($Kind -eq 'Token') { 'tokens' } else { 'scopeMaps' })
        if ($identity -is [System.Management.Automation.ErrorRecord]) { Add-AzTokenBridgeWindowError $Cmdlet $Window $identity; return }
        $params = @{ resourceGroupName = $identity.ResourceGroupName; registryName = $identity.RegistryName; subscriptionId = $identity.SubscriptionId; $wireLeaf = $identity[$leaf] }
        $target = $Bound['InputObject']
    } else {
        $params = @{ resourceGroupName = [string]$Bound['ResourceGroupName']; registryName = [string]$Bound['RegistryName'] }
        if ($Bound.ContainsKey('SubscriptionId')) { $params['subscriptionId'] = [string]$Bound['SubscriptionId'] }
        if ($Bound.ContainsKey('Name')) { $params[$wireLeaf] = [string]$Bound['Name'] }
        $target = if ($Bound.ContainsKey('Name')) { [string]$Bound['Name'] } else { [string]$Bound['RegistryName'] }
    }
    Wait-AzTokenBridgeWindowRoom $Cmdlet $Window
    $method = if ($Kind -eq 'Token') { 'acr/getTokens' } else { 'acr/getScopeMaps' }
    $request = Send-AzTokenBridgeRequest -Cmdlet $Cmdlet -Method $method -Params $params -CallContext $CallContext
    Add-AzTokenBridgeWindowItem $Cmdlet $Window $request @{ Kind = $Kind; Target = $target }
}

function Write-AzTokenBridgeAcrRegistryItem {
    # One answered input of Get-AzContainerRegistryToken / …ScopeMap: its items, or its error.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Item)
    $s = $Item.State
    if ($Item.Call.Failure) { Write-AzTokenBridgeError -Cmdlet $Cmdlet -Exception $Item.Call.Failure -Target $s.Target; return }
    if ($s.Kind -eq 'Token') {
        foreach ($t in @($Item.Call.Result.tokens)) { if ($null -ne $t) { ConvertTo-AzTokenBridgeAcrToken $t } }
    } else {
        foreach ($m in @($Item.Call.Result.scopeMaps)) { if ($null -ne $m) { ConvertTo-AzTokenBridgeAcrScopeMap $m } }
    }
}

function Write-AzTokenBridgeAcrCredential {
    # One answered input of New-AzContainerRegistryCredentials.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Item)
    if ($Item.Call.Failure) { Write-AzTokenBridgeError -Cmdlet $Cmdlet -Exception $Item.Call.Failure -Target $Item.State.Target; return }
    ConvertTo-AzTokenBridgeAcrCredential $Item.Call.Result
}

function ConvertTo-AzTokenBridgeAcrCredential {
    # GenerateCredentialsResult → PSContainerRegistryCredential (Username, Password, Password2), the
    # passwords matched by name (Az takes them by position), plus every generated entry in Passwords.
    param($Result)
    $entries = foreach ($p in @($Result.passwords)) {
        if ($null -eq $p) { continue }
        $o = [pscustomobject][ordered]@{ Name = $p.name; CreationTime = ConvertFrom-AzTokenBridgeWireDate $p.creationTime; Expiry = ConvertFrom-AzTokenBridgeWireDate $p.expiry; Value = $p.value }
        $o.psobject.TypeNames.Insert(0, "$script:AcrModels.Api20220201Preview.ITokenPassword")
        $o
    }
    $value = { param($n) foreach ($e in @($entries)) { if ($e -and $e.Name -eq $n) { return [string]$e.Value } }; '' }
    $o = [pscustomobject][ordered]@{
        Username  = [string]$Result.username
        Password  = & $value 'password1'
        Password2 = & $value 'password2'
        Passwords = [object[]]@($entries)
    }
    $o.psobject.TypeNames.Insert(0, "$script:AcrModels.PSContainerRegistryCredential")
    $display = [System.Management.Automation.PSPropertySet]::new('DefaultDisplayPropertySet', [string[]]@('Username', 'Password', 'Password2'))
    $o.psobject.Members.Add([System.Management.Automation.PSMemberSet]::new('PSStandardMembers', [System.Management.Automation.PSMemberInfo[]]@($display)))
    $o
}
