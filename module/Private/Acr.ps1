# Azure Container Registry helpers shared by the cmdlets: identity (InputObject) resolution, the
# token body from hashtables or objects, and output objects with the Az type names. The token PUT's
# long-running operation is polled by the server (acr/createToken, src/acr/handlers.ts).

$script:AcrModels = 'Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models'
$script:AcrTokenType = "$script:AcrModels.Api20220201Preview.IToken"
$script:AcrScopeMapType = "$script:AcrModels.Api20220201Preview.IScopeMap"
$script:AcrAsyncResponseType = 'Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Runtime.PowerShell.AsyncOperationResponse'

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
    [AzTokenBridge.Client.PSJson]::ParseToPS($Text)
}

function Resolve-AzTokenBridgeAcrIdentity {
    # -InputObject (IContainerRegistryIdentity) → @{ SubscriptionId; ResourceGroupName; RegistryName;
    # <Leaf> }, or an ErrorRecord. Accepts what Az's identity converter accepts: a resource id
    # string, a JSON string, a hashtable, any object. The module reads its members; the server reads
    # them (arm/parseResourceId: the Id wins over the separate parts, as in Az; Az's errors).
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $InputObject, [ValidateSet('TokenName', 'ScopeMapName')][string]$Leaf = 'TokenName')
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
    $params = if ($Leaf -eq 'TokenName') { @{ kind = 'ContainerRegistryToken' } } else { @{ kind = 'ContainerRegistryScopeMap' } }
    $params['resourceId'] = [string](Get-AzTokenBridgeMember $value 'Id')
    foreach ($name in 'SubscriptionId', 'ResourceGroupName', 'RegistryName', $Leaf) {
        $params[$name.Substring(0, 1).ToLowerInvariant() + $name.Substring(1)] = [string](Get-AzTokenBridgeMember $value $name)
    }
    $parts = Get-AzTokenBridgeResourceIdParts -Cmdlet $Cmdlet -Params $params -Target $InputObject
    if ($parts -is [System.Management.Automation.ErrorRecord]) { return $parts }
    $wireLeaf = $Leaf.Substring(0, 1).ToLowerInvariant() + $Leaf.Substring(1)
    @{ SubscriptionId = [string]$parts.subscriptionId; ResourceGroupName = [string]$parts.resourceGroupName; RegistryName = [string]$parts.registryName; $Leaf = [string]$parts.$wireLeaf }
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

function Get-AzTokenBridgeAcrUnknownKey {
    # A key of a hashtable (or of an object parsed from JSON text) that $script:AcrHashtableKeys[$Kind]
    # does not have (src/protocol.ts ACR_HASHTABLE_KEYS; any case): an ArgumentException naming it,
    # where it was ($Label) and the keys it could be, for parameter $ParameterName; else $null.
    # Objects (a token piped from Get-AzContainerRegistryToken) are read by property, not checked.
    param($Value, [string]$Kind, [string]$Label, [string]$ParameterName, [switch]$FromJson)
    if ($Value -is [psobject] -and $Value.psobject.BaseObject -is [System.Collections.IDictionary]) { $Value = $Value.psobject.BaseObject }
    $keys = if ($Value -is [System.Collections.IDictionary]) { @($Value.Keys) } elseif ($FromJson -and $null -ne $Value) { @($Value.psobject.Properties.Name) } else { @() }
    $known = $script:AcrHashtableKeys[$Kind]
    foreach ($key in $keys) {
        if (@($known | Where-Object { [string]::Equals($_, [string]$key, [System.StringComparison]::OrdinalIgnoreCase) }).Count -eq 0) {
            return [System.ArgumentException]::new("$Label has an unknown key '$key'. Use: $($known -join ', ').", $ParameterName)
        }
    }
    $null
}

function ConvertTo-AzTokenBridgeAcrCredentials {
    # -CredentialsCertificate / -CredentialsPassword elements (hashtables or objects) → wire entries,
    # or an ArgumentException for an unknown key (Get-AzTokenBridgeAcrUnknownKey).
    # A password's Value is never sent (read-only; the service generates it), as with Az.
    param($Items, [ValidateSet('Certificate', 'Password')][string]$Kind, [string]$Label, [string]$ParameterName)
    $list = [System.Collections.Generic.List[object]]::new()
    foreach ($item in @($Items)) {
        if ($null -eq $item) { continue }
        $fromJson = $item -is [string] -and $item.TrimStart().StartsWith('{')
        if ($fromJson) { $item = ConvertFrom-AzTokenBridgeJsonText $item }
        $unknown = Get-AzTokenBridgeAcrUnknownKey $item "Credentials$Kind" $Label $ParameterName -FromJson:$fromJson
        if ($unknown) { return $unknown }
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
    $fromJson = $source -is [string]
    if ($fromJson) {
        try { $source = ConvertFrom-AzTokenBridgeJsonText $source } catch {
            return [System.ArgumentException]::new("TokenCreateParameter is not valid JSON: $($_.Exception.Message)", 'TokenCreateParameter')
        }
    }
    # Unknown keys are refused before any call; the expanded parameters' own names are known.
    if ($null -eq $Expanded) {
        $unknown = Get-AzTokenBridgeAcrUnknownKey $source 'TokenCreateParameter' '-TokenCreateParameter' 'TokenCreateParameter' -FromJson:$fromJson
        if ($unknown) { return $unknown }
    }
    $body = [ordered]@{}
    $scopeMapId = Get-AzTokenBridgeMember $source 'ScopeMapId'
    if ($scopeMapId) { $body['scopeMapId'] = [string]$scopeMapId }
    $status = Get-AzTokenBridgeMember $source 'Status'
    if ($null -ne $status -and [string]$status -ne '') { $body['status'] = [string]$status }
    foreach ($kind in 'Certificate', 'Password') {
        $items = Get-AzTokenBridgeMember $source "Credentials$kind"
        if ($null -eq $items) { continue }
        $where = if ($null -ne $Expanded) { @("-Credentials$kind", "Credentials$kind") } else { @("-TokenCreateParameter's Credentials$kind", 'TokenCreateParameter') }
        $entries = ConvertTo-AzTokenBridgeAcrCredentials $items -Kind $kind -Label $where[0] -ParameterName $where[1]
        if ($entries -is [System.Exception]) { return $entries }
        $body[$(if ($kind -eq 'Certificate') { 'certificates' } else { 'passwords' })] = $entries
    }
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
    $sd = $Resource.systemData
    [ordered]@{
        Id                           = [string]$Resource.id
        Name                         = [string]$Resource.name
        Type                         = [string]$Resource.type
        # The server's, read from the id (src/azure/resourceId.ts resourceGroupOf); $null when it names none.
        ResourceGroupName            = $Resource.resourceGroupName
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

function Get-AzTokenBridgeAcrPasswordCalls {
    # -GeneratePassword: the generateCredentials calls the server makes once the token exists: one
    # per password named in -CredentialsPassword (with its Expiry), or one for both.
    param($Requested)
    $calls = [System.Collections.Generic.List[object]]::new()
    foreach ($entry in @($Requested)) {
        if ($null -eq $entry -or -not $entry['name']) { continue }
        $c = [ordered]@{ passwordName = $entry['name'] }
        if ($entry['expiry']) { $c['expiry'] = $entry['expiry'] }
        $calls.Add($c)
    }
    if ($calls.Count -eq 0) { $calls.Add(@{}) }
    , $calls.ToArray()
}

function Write-AzTokenBridgeAcrTokenCreated {
    # One finished input of New-AzContainerRegistryToken: its token (or -NoWait's Target), or its error.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Item)
    $s = $Item.State
    if ($Item.Failure) { Write-AzTokenBridgeError -Cmdlet $Cmdlet -Exception $Item.Failure -Target $s.Target -Style ContainerRegistry; return }
    $result = $Item.Result
    if ($s.NoWait) {
        $response = [pscustomobject]@{ Target = [string]$result.target }
        $response.psobject.TypeNames.Insert(0, $script:AcrAsyncResponseType)
        $response
        return
    }
    ConvertTo-AzTokenBridgeAcrToken $result.token
}

function Send-AzTokenBridgeAcrRegistryItem {
    # Shared by Get-AzContainerRegistryToken and Get-AzContainerRegistryScopeMap (they differ in the
    # collection only), in `process`: one input's request (one item by -Name or -InputObject, or the
    # registry's list) into the window; Write-AzTokenBridgeAcrRegistryItem writes its answer.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window, [ValidateSet('Token', 'ScopeMap')][string]$Kind, [System.Collections.IDictionary]$Bound, $CallContext)
    $leaf = "$($Kind)Name"
    $wireLeaf = if ($Kind -eq 'Token') { 'tokenName' } else { 'scopeMapName' }
    if ($Cmdlet.ParameterSetName -eq 'GetViaIdentity') {
        $identity = Resolve-AzTokenBridgeAcrIdentity $Cmdlet $Bound['InputObject'] -Leaf $leaf
        if ($identity -is [System.Management.Automation.ErrorRecord]) { Add-AzTokenBridgeWindowError $Cmdlet $Window $identity; return }
        $params = @{ resourceGroupName = $identity.ResourceGroupName; registryName = $identity.RegistryName; subscriptionId = $identity.SubscriptionId; $wireLeaf = $identity[$leaf] }
        $target = $Bound['InputObject']
    } else {
        $params = @{ resourceGroupName = [string]$Bound['ResourceGroupName']; registryName = [string]$Bound['RegistryName'] }
        if ($Bound.ContainsKey('SubscriptionId')) { $params['subscriptionId'] = [string]$Bound['SubscriptionId'] }
        if ($Bound.ContainsKey('Name')) { $params[$wireLeaf] = [string]$Bound['Name'] }
        $target = if ($Bound.ContainsKey('Name')) { [string]$Bound['Name'] } else { [string]$Bound['RegistryName'] }
    }
    $method = if ($Kind -eq 'Token') { 'acr/getTokens' } else { 'acr/getScopeMaps' }
    $target = New-AzTokenBridgeAcrCallTarget $params -NameField $wireLeaf
    Send-AzTokenBridgeWindowCall $Cmdlet $Window -Method $method -Params $params -CallContext $CallContext -State @{ Kind = $Kind; Target = $target }
}

function New-AzTokenBridgeAcrCallTarget {
    # The target object of a registry call's error, as Az.ContainerRegistry's: the call's parameters
    # (SubscriptionId as given, else $null: the server resolves it), the item's Name, and the body.
    # Made before sending (the client adds the context to the params: module/Client/CallWindow.cs Send).
    param([System.Collections.IDictionary]$Params, [string]$NameField, $Body)
    $t = [ordered]@{ SubscriptionId = $Params['subscriptionId']; ResourceGroupName = $Params['resourceGroupName']; RegistryName = $Params['registryName'] }
    if ($NameField) { $t['Name'] = $Params[$NameField] }
    if ($null -ne $Body) { $t['body'] = $Body }
    [pscustomobject]$t
}

function Write-AzTokenBridgeAcrRegistryItem {
    # One answered input of Get-AzContainerRegistryToken / …ScopeMap: its items, or its error.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Item)
    $s = $Item.State
    if ($Item.Failure) { Write-AzTokenBridgeError -Cmdlet $Cmdlet -Exception $Item.Failure -Target $s.Target -Style ContainerRegistry; return }
    if ($s.Kind -eq 'Token') {
        foreach ($t in @($Item.Result.tokens)) { if ($null -ne $t) { ConvertTo-AzTokenBridgeAcrToken $t } }
    } else {
        foreach ($m in @($Item.Result.scopeMaps)) { if ($null -ne $m) { ConvertTo-AzTokenBridgeAcrScopeMap $m } }
    }
}

function Write-AzTokenBridgeAcrCredential {
    # One answered input of New-AzContainerRegistryCredentials.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Item)
    if ($Item.Failure) { Write-AzTokenBridgeError -Cmdlet $Cmdlet -Exception $Item.Failure -Target $Item.State.Target -Style ContainerRegistry; return }
    ConvertTo-AzTokenBridgeAcrCredential $Item.Result
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
