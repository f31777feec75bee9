# Argument completers where Az offers none: service and resource group names of the subscription's
# API Management services, and user ids of a context's service; the registry cmdlets' registries,
# resource groups, tokens and scope maps. Each asks the server (signing in as the cmdlets do); any
# failure just offers nothing (the seed's users integration and git are offered for -UserId anyway).

function Get-AzTokenBridgeCompletion {
    # CompletionResults for the values that start with the word typed so far.
    param([string[]]$Values, [string]$WordToComplete)
    $prefix = $WordToComplete.Trim("'", '"')
    $matching = [System.Collections.Generic.SortedSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)
    foreach ($v in $Values) { if ($v -and $v.StartsWith($prefix, [System.StringComparison]::OrdinalIgnoreCase)) { [void]$matching.Add($v) } }
    foreach ($v in $matching) {
        $text = if ($v -match '[\s''"$`;,(){}|&<>@#]') { "'" + $v.Replace("'", "''") + "'" } else { $v }
        [System.Management.Automation.CompletionResult]::new($text, $v, 'ParameterValue', $v)
    }
}

$script:ApimServiceCompleter = {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    $params = @{}
    if ($parameterName -eq 'ServiceName' -and $fakeBoundParameters['ResourceGroupName']) { $params['resourceGroupName'] = [string]$fakeBoundParameters['ResourceGroupName'] }
    $call = Invoke-AzTokenBridgeRpc -Method 'apim/listServices' -Params $params -DefaultProfile $fakeBoundParameters['DefaultProfile']
    if ($call.Failure) { return }
    $field = if ($parameterName -eq 'ServiceName') { 'name' } else { 'resourceGroupName' }
    Get-AzTokenBridgeCompletion -Values @($call.Result.services | ForEach-Object { [string]$_.$field }) -WordToComplete $wordToComplete
}

# The principals of the tenant access configurations (Get-AzApiManagementTenantAccess: integration,
# Get-AzApiManagementTenantGitAccess: git), as in seed 000's Example 1; every service has them.
$script:ApimAccessUserIds = @('integration', 'git')

$script:ApimUserIdCompleter = {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    $ids = [System.Collections.Generic.List[string]]::new([string[]]$script:ApimAccessUserIds)
    $context = $fakeBoundParameters['Context']
    if ($null -ne $context -and $context.ServiceName) {
        $call = Invoke-AzTokenBridgeRpc -Method 'apim/getUsers' -Params (Get-AzTokenBridgeServiceParams $context) -DefaultProfile $fakeBoundParameters['DefaultProfile']
        if (-not $call.Failure) { foreach ($u in @($call.Result.users)) { if ($u) { $ids.Add([string]$u.userId) } } }
    }
    Get-AzTokenBridgeCompletion -Values $ids -WordToComplete $wordToComplete
}

function Get-AzTokenBridgeAcrCompletionRef {
    # The registry the command line names so far (-ResourceGroupName, -RegistryName, -SubscriptionId), or $null.
    param($FakeBoundParameters)
    $rg = [string]$FakeBoundParameters['ResourceGroupName']; $reg = [string]$FakeBoundParameters['RegistryName']
    if (-not $rg -or -not $reg) { return $null }
    $ref = @{ resourceGroupName = $rg; registryName = $reg }
    if ($FakeBoundParameters['SubscriptionId']) { $ref['subscriptionId'] = [string]$FakeBoundParameters['SubscriptionId'] }
    $ref
}

# -RegistryName (in -ResourceGroupName when given) and -ResourceGroupName: acr/listRegistries.
$script:AcrRegistryCompleter = {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    $params = @{}
    if ($fakeBoundParameters['SubscriptionId']) { $params['subscriptionId'] = [string]$fakeBoundParameters['SubscriptionId'] }
    if ($parameterName -eq 'RegistryName' -and $fakeBoundParameters['ResourceGroupName']) { $params['resourceGroupName'] = [string]$fakeBoundParameters['ResourceGroupName'] }
    $call = Invoke-AzTokenBridgeRpc -Method 'acr/listRegistries' -Params $params -DefaultProfile $fakeBoundParameters['DefaultProfile']
    if ($call.Failure) { return }
    $field = if ($parameterName -eq 'RegistryName') { 'name' } else { 'resourceGroupName' }
    Get-AzTokenBridgeCompletion -Values @($call.Result.registries | ForEach-Object { [string]$_.$field }) -WordToComplete $wordToComplete
}

# -Name: the registry's tokens (acr/getTokens), or its scope maps for Get-AzContainerRegistryScopeMap.
$script:AcrItemNameCompleter = {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    $ref = Get-AzTokenBridgeAcrCompletionRef $fakeBoundParameters
    if (-not $ref) { return }
    if ($commandName -eq 'Get-AzContainerRegistryScopeMap') {
        $call = Invoke-AzTokenBridgeRpc -Method 'acr/getScopeMaps' -Params $ref -DefaultProfile $fakeBoundParameters['DefaultProfile']
        $items = if (-not $call.Failure) { $call.Result.scopeMaps }
    } else {
        $call = Invoke-AzTokenBridgeRpc -Method 'acr/getTokens' -Params $ref -DefaultProfile $fakeBoundParameters['DefaultProfile']
        $items = if (-not $call.Failure) { $call.Result.tokens }
    }
    if ($call.Failure) { return }
    Get-AzTokenBridgeCompletion -Values @($items | ForEach-Object { [string]$_.name }) -WordToComplete $wordToComplete
}

# -ScopeMapId: the ids of the registry's scope maps, matched by id or by name (`-ScopeMapId new<Tab>`).
$script:AcrScopeMapIdCompleter = {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    $ref = Get-AzTokenBridgeAcrCompletionRef $fakeBoundParameters
    if (-not $ref) { return }
    $call = Invoke-AzTokenBridgeRpc -Method 'acr/getScopeMaps' -Params $ref -DefaultProfile $fakeBoundParameters['DefaultProfile']
    if ($call.Failure) { return }
    $word = $wordToComplete.Trim("'", '"')
    $ids = foreach ($m in @($call.Result.scopeMaps)) {
        if ($m -and (([string]$m.id).StartsWith($word, [System.StringComparison]::OrdinalIgnoreCase) -or ([string]$m.name).StartsWith($word, [System.StringComparison]::OrdinalIgnoreCase))) { [string]$m.id }
    }
    Get-AzTokenBridgeCompletion -Values @($ids) -WordToComplete ''
}

# Which completer serves which parameter (each parameter carries [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]).
function Get-AzTokenBridgeArgumentCompletion {
    param([string]$CommandName, [string]$ParameterName, [string]$WordToComplete, $CommandAst, $FakeBoundParameters)
    $registry = $CommandName -in 'New-AzContainerRegistryToken', 'Get-AzContainerRegistryToken', 'Get-AzContainerRegistryScopeMap', 'New-AzContainerRegistryCredentials'
    $completer = if ($CommandName -eq 'New-AzApiManagementContext' -and $ParameterName -in 'ServiceName', 'ResourceGroupName') { $script:ApimServiceCompleter }
    elseif ($ParameterName -eq 'UserId') { $script:ApimUserIdCompleter }
    elseif ($registry -and $ParameterName -in 'RegistryName', 'ResourceGroupName') { $script:AcrRegistryCompleter }
    elseif ($registry -and $ParameterName -eq 'Name') { $script:AcrItemNameCompleter }
    elseif ($registry -and $ParameterName -eq 'ScopeMapId') { $script:AcrScopeMapIdCompleter }
    if ($completer) { & $completer $CommandName $ParameterName $WordToComplete $CommandAst $FakeBoundParameters }
}

# The completer of the parameters above is compiled: [AzTokenBridge.Client.ArgumentCompleter]
# (module/Client/Attributes.cs), an IArgumentCompleter, not Register-ArgumentCompleter (when a
# registered script block offers nothing, PowerShell falls back to file names; an
# IArgumentCompleter's empty answer is final). It runs Get-AzTokenBridgeArgumentCompletion, which
# the .psm1 registers for its runspace at import.
