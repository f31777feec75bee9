# The module against its peers, in one PowerShell process (run by test/bench/run.mjs, which starts
# the emulator and points the session at it). Prints one JSON line:
#   warm:   per-call milliseconds, Rounds × Calls, for New-AzApiManagementUserToken and for a script loop
#           over one reused System.Net.Http.HttpClient making the same ARM request with a bearer token
#           (and Invoke-RestMethod when the session has it)
#   bulk:   Bulk user tokens piped with the emulator's latency at LatencyMs: ours (window 16), the same
#           HttpClient request in ForEach-Object -Parallel -ThrottleLimit 16, a sequential HttpClient loop;
#           elapsed milliseconds and whether the output came in input order
#   rss:    the server's resident memory (bytes) idle after its first call, after RssCalls calls, and after
#           RssCalls more
param(
    [Parameter(Mandatory)][string]$Control,
    [int]$Rounds = 3,
    [int]$Calls = 300,
    [int]$Bulk = 2000,
    [int]$BulkRounds = 3,
    [int]$SequentialRounds = 1,
    [int]$LatencyMs = 25,
    [int]$RssCalls = 10000
)
$ErrorActionPreference = 'Stop'
$manifest = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'module', 'AzTokenBridge.psd1')
Import-Module $manifest
$module = Get-Module AzTokenBridge
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice

# One HttpClient for the peers and the control API (the emulator's certificate is its own CA's).
$handler = [System.Net.Http.HttpClientHandler]::new()
$handler.ServerCertificateCustomValidationCallback = [System.Net.Http.HttpClientHandler]::DangerousAcceptAnyServerCertificateValidator
$client = [System.Net.Http.HttpClient]::new($handler)
function Invoke-Control([string]$Method, [string]$Path, [string]$Body) {
    $req = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), "$Control$Path")
    if ($Body) { $req.Content = [System.Net.Http.StringContent]::new($Body, [System.Text.Encoding]::UTF8, 'application/json') }
    $resp = $client.SendAsync($req).GetAwaiter().GetResult()
    $text = $resp.Content.ReadAsStringAsync().GetAwaiter().GetResult()
    if (-not $resp.IsSuccessStatusCode) { throw "control $Method $Path → $([int]$resp.StatusCode): $text" }
    $text
}
Invoke-Control PUT /latency '{"ms":0}' | Out-Null

# The same ARM request the server makes, with an ARM token for the same app (minted by the emulator).
$doc = [System.Text.Json.JsonDocument]::Parse((Invoke-Control POST /tokens '{"expiresInSeconds":7200}'))
$bearer = $doc.RootElement.GetProperty('accessToken').GetString()
$doc.Dispose()
$arm = $env:AZTOKENBRIDGE_ARM_ENDPOINT.TrimEnd('/')
$base = "$arm/subscriptions/$($env:AZURE_SUBSCRIPTION_ID)/resourceGroups/powershelltest/providers/Microsoft.ApiManagement/service/powershellsdkservice/users"
$expiry = [datetime]::UtcNow.AddHours(8).ToString('o', [cultureinfo]::InvariantCulture)
$body = '{"properties":{"keyType":"primary","expiry":"' + $expiry + '"}}'
$client.DefaultRequestHeaders.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $bearer)
$peer = {
    param($client, [string]$base, [string]$body, [string]$userId)
    $content = [System.Net.Http.StringContent]::new($body, [System.Text.Encoding]::UTF8, 'application/json')
    $resp = $client.PostAsync("$base/$userId/token?api-version=2024-05-01", $content).GetAwaiter().GetResult()
    $text = $resp.Content.ReadAsStringAsync().GetAwaiter().GetResult()
    if (-not $resp.IsSuccessStatusCode) { throw "HTTP $([int]$resp.StatusCode): $text" }
    $d = [System.Text.Json.JsonDocument]::Parse($text)
    try { [pscustomobject]@{ UserId = $userId; UserToken = $d.RootElement.GetProperty('value').GetString() } } finally { $d.Dispose() }
}

# First call of this session (starts the server, signs in), then the server's idle memory.
$null = New-AzApiManagementUserToken -Context $context -UserId integration
$server = & $module { [System.Diagnostics.Process]::GetProcessById((Get-AzTokenBridgeServer).ProcessId) }
function Get-Rss { $server.Refresh(); $server.WorkingSet64 }
# On Linux, also what of it is the server's own (anonymous: heap, code, buffers) rather than pages of
# the executable file (shared and clean; the Node runtime and its ICU data are most of them).
function Get-Anonymous {
    $path = "/proc/$($server.Id)/smaps_rollup"
    if (-not [System.IO.File]::Exists($path)) { return 0 }
    $m = [regex]::Match([System.IO.File]::ReadAllText($path), '(?m)^Anonymous:\s+(\d+) kB')
    if ($m.Success) { [long]$m.Groups[1].Value * 1024 } else { 0 }
}
$rssIdle = Get-Rss
$anonIdle = Get-Anonymous

# Warm calls: ours, the HttpClient loop, Invoke-RestMethod (if present), interleaved round by round.
$null = & $peer $client $base $body integration
$irm = Get-Command Invoke-RestMethod -ErrorAction Ignore
$warm = @{ ours = @(); httpClient = @(); invokeRestMethod = @() }
$sw = [System.Diagnostics.Stopwatch]::new()
for ($r = 0; $r -lt $Rounds; $r++) {
    $sw.Restart()
    for ($i = 0; $i -lt $Calls; $i++) { $null = New-AzApiManagementUserToken -Context $context -UserId integration }
    $warm.ours += $sw.Elapsed.TotalMilliseconds / $Calls
    $sw.Restart()
    for ($i = 0; $i -lt $Calls; $i++) { $null = & $peer $client $base $body integration }
    $warm.httpClient += $sw.Elapsed.TotalMilliseconds / $Calls
    if ($irm) {
        $headers = @{ Authorization = "Bearer $bearer" }
        $uri = "$base/integration/token?api-version=2024-05-01"
        $sw.Restart()
        for ($i = 0; $i -lt $Calls; $i++) { $null = & $irm -Method Post -Uri $uri -Headers $headers -Body $body -ContentType 'application/json' -SkipCertificateCheck }
        $warm.invokeRestMethod += $sw.Elapsed.TotalMilliseconds / $Calls
    }
}

# Bulk: the 25 demo users, cycled to $Bulk inputs, with latency.
$users = @(Get-AzApiManagementUser -Context $context | ForEach-Object UserId)
$ids = [string[]]::new($Bulk)
for ($i = 0; $i -lt $Bulk; $i++) { $ids[$i] = $users[$i % $users.Count] }
$inputs = foreach ($id in $ids) { [pscustomobject]@{ UserId = $id } }
function Test-Order($out) { $o = @($out); if ($o.Count -ne $ids.Count) { return $false }; for ($i = 0; $i -lt $o.Count; $i++) { if ($o[$i] -ne $ids[$i]) { return $false } }; $true }
Invoke-Control PUT /latency "{""ms"":$LatencyMs}" | Out-Null
$bulkResult = @{ ours = @(); parallel = @(); sequential = @(); oursInOrder = $true; parallelInOrder = $true; sequentialInOrder = $true; oursCount = 0 }
for ($r = 0; $r -lt $BulkRounds; $r++) {
    $sw.Restart()
    $out = $inputs | New-AzApiManagementUserToken -Context $context -ThrottleLimit 16 | ForEach-Object UserId
    $bulkResult.ours += $sw.Elapsed.TotalMilliseconds
    $bulkResult.oursCount = @($out).Count
    if (-not (Test-Order $out)) { $bulkResult.oursInOrder = $false }
    $sw.Restart()
    $peerText = $peer.ToString()
    $out = $ids | ForEach-Object -ThrottleLimit 16 -Parallel {
        $p = [scriptblock]::Create($using:peerText)
        & $p $using:client $using:base $using:body $_
    } | ForEach-Object UserId
    $bulkResult.parallel += $sw.Elapsed.TotalMilliseconds
    if (-not (Test-Order $out)) { $bulkResult.parallelInOrder = $false }
}
for ($r = 0; $r -lt $SequentialRounds; $r++) {
    $sw.Restart()
    $out = foreach ($id in $ids) { (& $peer $client $base $body $id).UserId }
    $bulkResult.sequential += $sw.Elapsed.TotalMilliseconds
    if (-not (Test-Order $out)) { $bulkResult.sequentialInOrder = $false }
}
Invoke-Control PUT /latency '{"ms":0}' | Out-Null

# Memory: RssCalls calls through the server, twice.
$many = foreach ($i in 1..$RssCalls) { [pscustomobject]@{ UserId = $users[$i % $users.Count] } }
$rssAfter = @()
$anonAfter = @()
for ($r = 0; $r -lt 2; $r++) {
    $null = $many | New-AzApiManagementUserToken -Context $context
    $rssAfter += Get-Rss
    $anonAfter += Get-Anonymous
}

$result = [ordered]@{
    warm = $warm; bulk = $bulkResult; bulkCount = $Bulk; latencyMs = $LatencyMs
    rss = [ordered]@{ idle = $rssIdle; after = $rssAfter; calls = $RssCalls; anonymousIdle = $anonIdle; anonymousAfter = $anonAfter }
    invokeRestMethod = [bool]$irm
}
[Console]::Out.WriteLine([System.Text.Json.JsonSerializer]::Serialize($result, [System.Collections.Specialized.OrderedDictionary]))
