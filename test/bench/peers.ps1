# The module against its peers, in one PowerShell process (run by test/bench/run.mjs, which starts
# the emulator and points the session at it). Prints one JSON line:
#   warm:   per-call milliseconds, Rounds × Calls, interleaved round by round, each loop first run
#           WarmUp times unreported (the .NET tiered JIT keeps compiling for thousands of calls):
#           New-AzApiManagementUserToken; a script loop over one reused System.Net.Http.HttpClient
#           making the same ARM request with a bearer token (and Invoke-RestMethod when the session
#           has it); and, to say where a warm call goes, the same apim/newUserToken request sent
#           straight through the client (AzTokenBridge.Client.ServerConnection, params built once),
#           bridge/hello through the client, a script function with the cmdlet's param block and an
#           empty body (the floor of an advanced function binding the same arguments), an empty loop
#   warmCpu: CPU milliseconds per call of pwsh, the server and the emulator (EmulatorPid) during
#           each measured loop (Process.TotalProcessorTime), one figure per round
#   warmJit: methods JIT-compiled (System.Runtime.JitInfo, all threads of pwsh) and JIT milliseconds
#           while each measured loop ran, one figure per round
#   bulk:   Bulk user tokens piped with the emulator's latency at LatencyMs: ours (window 16), the same
#           HttpClient request in ForEach-Object -Parallel -ThrottleLimit 16, a sequential HttpClient loop;
#           elapsed milliseconds per round (the first round is the cold one: run.mjs reports it apart),
#           whether the output came in input order, and per round the CPU per input (pwsh, server,
#           emulator) and the methods JIT-compiled
#   rss:    the server's resident memory (bytes) idle after its first call, after RssCalls calls, and after
#           RssCalls more
param(
    [Parameter(Mandatory)][string]$Control,
    [int]$Rounds = 3,
    [int]$Calls = 300,
    [int]$Bulk = 2000,
    [int]$BulkRounds = 4,
    [int]$SequentialRounds = 1,
    [int]$LatencyMs = 25,
    [int]$RssCalls = 10000,
    [int]$WarmUp = 3000,
    [int]$EmulatorPid = 0
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

# CPU of the three processes of a call: this pwsh, the server, the emulator (when its pid is given).
$me = [System.Diagnostics.Process]::GetCurrentProcess()
$emulator = if ($EmulatorPid) { [System.Diagnostics.Process]::GetProcessById($EmulatorPid) } else { $null }
function Get-Cpu {
    $me.Refresh(); $server.Refresh()
    $e = if ($emulator) { $emulator.Refresh(); $emulator.TotalProcessorTime.TotalMilliseconds } else { 0 }
    , @($me.TotalProcessorTime.TotalMilliseconds, $server.TotalProcessorTime.TotalMilliseconds, $e)
}
function Get-Jit { , @([System.Runtime.JitInfo]::GetCompiledMethodCount($false), [System.Runtime.JitInfo]::GetCompilationTime($false).TotalMilliseconds) }

# The breakdown's requests, straight through the client: the cmdlet's apim/newUserToken request
# (params as the cmdlet builds them, in the module's scope, serialized once) and bridge/hello.
$conn = [AzTokenBridge.Client.ServerConnection]::Shared
$tokenParams = & $module {
    param($c)
    $p = Get-AzTokenBridgeServiceParams $c
    $p['userId'] = 'integration'
    $p['keyType'] = 'Primary'
    $p['expiry'] = [datetime]::UtcNow.AddHours(8).ToString('o', [cultureinfo]::InvariantCulture)
    $p['context'] = Get-AzTokenBridgeCallContext
    $p
} $context
if ($tokenParams['context'] -is [System.Exception]) { throw $tokenParams['context'] }
$tokenBytes = [AzTokenBridge.Client.PSJson]::Serialize($tokenParams)
$helloBytes = [System.Text.Encoding]::UTF8.GetBytes('{}')
$check = $conn.SendRequest('apim/newUserToken', $tokenBytes)
$null = $check.Wait(-1)
if (-not $check.Succeeded -or -not $check.Result.GetProperty('userToken').GetString()) { throw "apim/newUserToken through the client: $($check.Error.Message) $($check.Failure)" }

# The floor of an advanced function: New-AzApiManagementUserToken's own attributes and param block,
# an empty body, exported from a module of its own as the cmdlet is from ours. Called with the
# same arguments; its parameters must be the cmdlet's.
$cmdAst = (Get-Command New-AzApiManagementUserToken).ScriptBlock.Ast.Body.ParamBlock
$floorText = (@($cmdAst.Attributes | ForEach-Object { $_.Extent.Text }) + $cmdAst.Extent.Text) -join "`n"
$null = New-Module -Name AzTokenBridgeBenchFloor -ScriptBlock ([scriptblock]::Create("function Test-AzTokenBridgeBenchFloor {`n$floorText`n}")) | Import-Module -PassThru
$floorParams = (Get-Command Test-AzTokenBridgeBenchFloor).Parameters
$cmdParams = (Get-Command New-AzApiManagementUserToken).Parameters
if ((@($floorParams.Keys) -join ',') -ne (@($cmdParams.Keys) -join ',') -or
    @($cmdParams.Keys | Where-Object { $floorParams[$_].ParameterType -ne $cmdParams[$_].ParameterType -or $floorParams[$_].Attributes.Count -ne $cmdParams[$_].Attributes.Count }).Count) {
    throw "the floor function's parameters are not New-AzApiManagementUserToken's"
}

# Each measured loop, `for` written out in its own script block (called once per round).
$null = & $peer $client $base $body integration
$irm = Get-Command Invoke-RestMethod -ErrorAction Ignore
$irmHeaders = @{ Authorization = "Bearer $bearer" }
$irmUri = "$base/integration/token?api-version=2024-05-01"
$loops = [ordered]@{
    ours             = { param($n) for ($i = 0; $i -lt $n; $i++) { $null = New-AzApiManagementUserToken -Context $context -UserId integration } }
    httpClient       = { param($n) for ($i = 0; $i -lt $n; $i++) { $null = & $peer $client $base $body integration } }
    invokeRestMethod = { param($n) for ($i = 0; $i -lt $n; $i++) { $null = & $irm -Method Post -Uri $irmUri -Headers $irmHeaders -Body $body -ContentType 'application/json' -SkipCertificateCheck } }
    clientToken      = {
        param($n)
        for ($i = 0; $i -lt $n; $i++) {
            $r = $conn.SendRequest('apim/newUserToken', $tokenBytes); $null = $r.Wait(-1)
            if (-not $r.Succeeded) { throw "apim/newUserToken through the client: $($r.Error.Message) $($r.Failure)" }
        }
    }
    hello            = {
        param($n)
        for ($i = 0; $i -lt $n; $i++) {
            $r = $conn.SendRequest('bridge/hello', $helloBytes); $null = $r.Wait(-1)
            if (-not $r.Succeeded) { throw "bridge/hello through the client: $($r.Error.Message) $($r.Failure)" }
        }
    }
    floor            = { param($n) for ($i = 0; $i -lt $n; $i++) { $null = Test-AzTokenBridgeBenchFloor -Context $context -UserId integration } }
    empty            = { param($n) for ($i = 0; $i -lt $n; $i++) { } }
}
if (-not $irm) { $loops.Remove('invokeRestMethod') }

$warm = [ordered]@{}
$warmCpu = [ordered]@{}
$warmJit = [ordered]@{}
foreach ($name in $loops.Keys) {
    $warm[$name] = @()
    $warmCpu[$name] = [ordered]@{ pwsh = @(); server = @(); emulator = @() }
    $warmJit[$name] = [ordered]@{ methods = @(); ms = @() }
}
$sw = [System.Diagnostics.Stopwatch]::new()
# Warm-up to steady state: first, unreported rounds until each loop has run WarmUp times (Calls at
# a time), through the same code as the measured rounds, so that the measuring code is warm too (its
# own tier-up and compiling would otherwise land in the first measured rounds' JIT counts). The JIT
# counters are read right around each loop.
$warmUpRounds = [int][Math]::Ceiling($WarmUp / [Math]::Max(1, $Calls))
for ($r = -$warmUpRounds; $r -lt $Rounds; $r++) {
    $n = if ($r -lt 0) { [Math]::Min($Calls, $WarmUp - ($r + $warmUpRounds) * $Calls) } else { $Calls }
    foreach ($name in $loops.Keys) {
        $loop = $loops[$name]
        $c0 = Get-Cpu
        $m0 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
        $t0 = [System.Runtime.JitInfo]::GetCompilationTime($false)
        $sw.Restart()
        & $loop $n
        $ms = $sw.Elapsed.TotalMilliseconds
        $m1 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
        $t1 = [System.Runtime.JitInfo]::GetCompilationTime($false)
        $c1 = Get-Cpu
        $warm[$name] += $ms / $n
        $warmCpu[$name].pwsh += ($c1[0] - $c0[0]) / $n
        $warmCpu[$name].server += ($c1[1] - $c0[1]) / $n
        $warmCpu[$name].emulator += ($c1[2] - $c0[2]) / $n
        $warmJit[$name].methods += $m1 - $m0
        $warmJit[$name].ms += ($t1 - $t0).TotalMilliseconds
    }
}
# The warm-up rounds were recorded like the others (so that this code, too, was warm): dropped here.
# (A .NET call, not a function: a function's output would come back wrapped, which the JSON
# serializer cannot write.)
foreach ($name in $loops.Keys) {
    $warm[$name] = [System.Linq.Enumerable]::ToArray([System.Linq.Enumerable]::Skip([object[]]$warm[$name], $warmUpRounds))
    foreach ($k in 'pwsh', 'server', 'emulator') { $warmCpu[$name][$k] = [System.Linq.Enumerable]::ToArray([System.Linq.Enumerable]::Skip([object[]]$warmCpu[$name][$k], $warmUpRounds)) }
    foreach ($k in 'methods', 'ms') { $warmJit[$name][$k] = [System.Linq.Enumerable]::ToArray([System.Linq.Enumerable]::Skip([object[]]$warmJit[$name][$k], $warmUpRounds)) }
}

# Bulk: the 25 demo users, cycled to $Bulk inputs, with latency.
$users = @(Get-AzApiManagementUser -Context $context | ForEach-Object UserId)
$ids = [string[]]::new($Bulk)
for ($i = 0; $i -lt $Bulk; $i++) { $ids[$i] = $users[$i % $users.Count] }
$inputs = foreach ($id in $ids) { [pscustomobject]@{ UserId = $id } }
function Test-Order($out) { $o = @($out); if ($o.Count -ne $ids.Count) { return $false }; for ($i = 0; $i -lt $o.Count; $i++) { if ($o[$i] -ne $ids[$i]) { return $false } }; $true }
Invoke-Control PUT /latency "{""ms"":$LatencyMs}" | Out-Null
$bulkResult = @{ ours = @(); parallel = @(); sequential = @(); oursInOrder = $true; parallelInOrder = $true; sequentialInOrder = $true; oursCount = 0 }
# Per round: CPU per input (pwsh, server, emulator) and the methods JIT-compiled, ours and -Parallel.
foreach ($k in 'ours', 'parallel') {
    $bulkResult["${k}Cpu"] = [ordered]@{ pwsh = @(); server = @(); emulator = @() }
    $bulkResult["${k}Jit"] = @()
}
function Add-BulkRound([string]$Key, $C0, $J0) {
    $c1 = Get-Cpu; $j1 = Get-Jit
    $bulkResult["${Key}Cpu"].pwsh += ($c1[0] - $C0[0]) / $Bulk
    $bulkResult["${Key}Cpu"].server += ($c1[1] - $C0[1]) / $Bulk
    $bulkResult["${Key}Cpu"].emulator += ($c1[2] - $C0[2]) / $Bulk
    $bulkResult["${Key}Jit"] += $j1[0] - $J0[0]
}
for ($r = 0; $r -lt $BulkRounds; $r++) {
    $j0 = Get-Jit; $c0 = Get-Cpu
    $sw.Restart()
    $out = $inputs | New-AzApiManagementUserToken -Context $context -ThrottleLimit 16 | ForEach-Object UserId
    $bulkResult.ours += $sw.Elapsed.TotalMilliseconds
    Add-BulkRound ours $c0 $j0
    $bulkResult.oursCount = @($out).Count
    if (-not (Test-Order $out)) { $bulkResult.oursInOrder = $false }
    $j0 = Get-Jit; $c0 = Get-Cpu
    $sw.Restart()
    $peerText = $peer.ToString()
    $out = $ids | ForEach-Object -ThrottleLimit 16 -Parallel {
        $p = [scriptblock]::Create($using:peerText)
        & $p $using:client $using:base $using:body $_
    } | ForEach-Object UserId
    $bulkResult.parallel += $sw.Elapsed.TotalMilliseconds
    Add-BulkRound parallel $c0 $j0
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
    warm = $warm; warmCpu = $warmCpu; warmJit = $warmJit; warmUp = $WarmUp; emulatorCpu = [bool]$emulator
    bulk = $bulkResult; bulkCount = $Bulk; latencyMs = $LatencyMs
    rss = [ordered]@{ idle = $rssIdle; after = $rssAfter; calls = $RssCalls; anonymousIdle = $anonIdle; anonymousAfter = $anonAfter }
    invokeRestMethod = [bool]$irm
}
[Console]::Out.WriteLine([System.Text.Json.JsonSerializer]::Serialize($result, [System.Collections.Specialized.OrderedDictionary]))
