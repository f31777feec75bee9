# Argument completers where Az.ApiManagement offers none: service and resource group names of the
# subscription's API Management services, and user ids of a context's service. Each asks the
# server (signing in as the cmdlets do); any failure just offers nothing.

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

$script:ApimUserIdCompleter = {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    $context = $fakeBoundParameters['Context']
    if ($null -eq $context -or -not $context.ServiceName) { return }
    $call = Invoke-AzTokenBridgeRpc -Method 'apim/getUsers' -Params (Get-AzTokenBridgeServiceParams $context) -DefaultProfile $fakeBoundParameters['DefaultProfile']
    if ($call.Failure) { return }
    Get-AzTokenBridgeCompletion -Values @($call.Result.users | ForEach-Object { [string]$_.userId }) -WordToComplete $wordToComplete
}

function Register-AzTokenBridgeCompleters {
    Register-ArgumentCompleter -CommandName New-AzApiManagementContext -ParameterName ServiceName -ScriptBlock $script:ApimServiceCompleter
    Register-ArgumentCompleter -CommandName New-AzApiManagementContext -ParameterName ResourceGroupName -ScriptBlock $script:ApimServiceCompleter
    Register-ArgumentCompleter -CommandName New-AzApiManagementUserToken, Get-AzApiManagementUser -ParameterName UserId -ScriptBlock $script:ApimUserIdCompleter
}
