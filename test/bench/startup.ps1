# One sample of the module's startup and call costs, measured inside one fresh PowerShell process
# (run by test/bench/run.mjs, which starts the emulator and points the session at it).
# Prints one JSON line: import, cold call (server start + sign-in + call), warm calls.
param([int]$WarmCalls = 50)
$ErrorActionPreference = 'Stop'
$manifest = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'module', 'AzTokenBridge.psd1')

$sw = [System.Diagnostics.Stopwatch]::StartNew()
Import-Module $manifest
$importMs = $sw.Elapsed.TotalMilliseconds

$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$sw.Restart()
$null = New-AzApiManagementUserToken -Context $context -UserId integration
$coldMs = $sw.Elapsed.TotalMilliseconds

$warm = [System.Collections.Generic.List[double]]::new()
for ($i = 0; $i -lt $WarmCalls; $i++) {
    $sw.Restart()
    $null = New-AzApiManagementUserToken -Context $context -UserId integration
    $warm.Add($sw.Elapsed.TotalMilliseconds)
}
$result = @{ importMs = $importMs; coldCallMs = $coldMs; warmCallMs = $warm.ToArray() }
[Console]::Out.WriteLine([System.Text.Json.JsonSerializer]::Serialize($result, [hashtable]))
