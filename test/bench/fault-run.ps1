# A fault run for the README ("Reliability and security"): 2,000 piped New-AzApiManagementUserToken
# inputs while the emulator answers 25% of ARM requests 503 and 5% 429 (Retry-After 1), seeded.
# Prints inputs, requests, faults injected, results, errors, and whether the results are in input
# order. Run: pwsh -NoProfile -File test/bench/fault-run.ps1 (after a build).
Import-Module (Join-Path $PSScriptRoot '../../module/AzTokenBridge.psd1')
$emu = Start-AzTokenBridgeEmulator
$handler = [System.Net.Http.HttpClientHandler]::new()
$handler.ServerCertificateCustomValidationCallback = [System.Net.Http.HttpClientHandler]::DangerousAcceptAnyServerCertificateValidator
$http = [System.Net.Http.HttpClient]::new($handler)
$control = "$($emu.ArmEndpoint)/_emulator"
function Post($path, $json) { $http.PostAsync("$control$path", [System.Net.Http.StringContent]::new($json, [System.Text.Encoding]::UTF8, 'application/json')).GetAwaiter().GetResult().Content.ReadAsStringAsync().GetAwaiter().GetResult() }
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$users = @(Get-AzApiManagementUser -Context $context | ForEach-Object UserId)
$null = $http.DeleteAsync("$control/requests").GetAwaiter().GetResult()
$null = Post '/faults' '{"match":{"service":"arm"},"status":503,"probability":0.25,"seed":2026,"count":100000}'
$null = Post '/faults' '{"match":{"service":"arm"},"status":429,"retryAfterSeconds":1,"probability":0.05,"seed":7,"count":100000}'
$inputs = 1..2000 | ForEach-Object { $users[$_ % $users.Count] }
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$out = @($inputs | ForEach-Object { [pscustomobject]@{ UserId = $_ } } | New-AzApiManagementUserToken -Context $context -ErrorVariable failed -ErrorAction SilentlyContinue | ForEach-Object UserId)
$seconds = $sw.Elapsed.TotalSeconds
$log = $http.GetStringAsync("$control/requests").GetAwaiter().GetResult() | ConvertFrom-Json
$tokenReqs = @($log | Where-Object { $_.path -like '*/token' })
$faulted = @($tokenReqs | Where-Object { $_.fault })
# in order: the results are the inputs minus the failed ones, in input order
"inputs {0}; ARM token requests {1}, of which faulted {2} (503: {3}, 429: {4}); results {5}; errors {6}; results+errors {7}; in order {8}; {9:N1} s" -f $inputs.Count, $tokenReqs.Count, $faulted.Count, @($faulted | Where-Object { $_.status -eq 503 }).Count, @($faulted | Where-Object { $_.status -eq 429 }).Count, $out.Count, $failed.Count, ($out.Count + $failed.Count), (($out -join ',') -eq (($inputs | Where-Object { $true }) -join ',')), $seconds
$failed | Select-Object -First 2 | ForEach-Object { $_.FullyQualifiedErrorId + ': ' + $_.Exception.Message.Substring(0, [Math]::Min(150, $_.Exception.Message.Length)) }
Stop-AzTokenBridgeEmulator
