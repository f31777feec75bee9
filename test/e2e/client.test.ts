/**
 * The compiled client (issue K): module/bin/AzTokenBridge.Client.dll, loaded with Add-Type -Path
 * in the real pwsh and driven against the real packaged server (and the emulator behind it, or the
 * stand-in server of test/support/standin-server.js). The cmdlets call it through the module; these
 * scripts call the client's API directly (module/Client/ServerConnection.cs lists it).
 *
 * Params are built in the script as the module sends them (module/Client/CallWindow.cs Send): the method's fields plus `context`, whose
 * `env` holds the session's variables named in src/protocol.ts SESSION_VARIABLES. The server is
 * started with the session's variables named in SERVER_START_VARIABLES and no others.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SERVER_START_VARIABLES, SESSION_VARIABLES } from "../../src/protocol";
import { EmulatorProcess, startEmulatorProcess } from "../support/emulator";
import { ROOT, SERVER_BINARY } from "../support/paths";
import { PsResult, runPs, spawnPs } from "../support/pwsh";
import { alive, gone } from "../support/processes";

const CLIENT_DLL = path.join(ROOT, "module", "bin", "AzTokenBridge.Client.dll");
const STAND_IN = path.join(ROOT, "test", "support", "standin-server.js");
const TOKEN_PATH = "/users/integration/token";

let emulator: EmulatorProcess;
const started: number[] = [];

beforeAll(async () => {
  for (const f of [SERVER_BINARY, CLIENT_DLL]) if (!fs.existsSync(f)) throw new Error(`${f} is missing: run npm run build first`);
  emulator = await startEmulatorProcess();
});
afterAll(async () => emulator?.stop());
afterEach(async () => {
  await emulator.control("PUT", "/latency", { ms: 0 });
  // A failed test must not leave a server or a hung stand-in behind.
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
});


async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const tokenEntries = async () => (await emulator.requestLog()).filter((x) => x.path.endsWith(TOKEN_PATH));

/** The session of every script: the emulator's variables, the client's settings. */
function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    ...emulator.env,
    AZTOKENBRIDGE_SERVER: undefined,
    AZTOKENBRIDGE_TIMEOUT_SECONDS: undefined,
    CLIENT_DLL,
    CLIENT_SERVER: SERVER_BINARY,
    CLIENT_ALLOW: SERVER_START_VARIABLES.join(","),
    CLIENT_SESSION_VARS: Object.keys(SESSION_VARIABLES).filter((n) => !n.endsWith("*")).join(","),
    ...extra,
  };
}

/**
 * Loads the client and defines: $StartInfo (the packaged server, or CLIENT_SERVER with
 * CLIENT_ARGS split on '|'), Wait-Request (in 100 ms slices, with a generous bound),
 * New-TokenParams (apim/newUserToken params for one expiry, as the module sends them) and
 * Get-Outcome (a finished request as a plain object).
 */
const PRELUDE = `$ErrorActionPreference = 'Stop'
Add-Type -Path $env:CLIENT_DLL
$StartInfo = [AzTokenBridge.Client.ServerStartInfo]::new($env:CLIENT_SERVER, [string[]]@(if ($env:CLIENT_ARGS) { $env:CLIENT_ARGS -split '\\|' }))
$StartInfo.EnvironmentAllowList = [string[]]($env:CLIENT_ALLOW -split ',')
function Wait-Request($Request, [int]$Seconds = 60) {
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    while (-not $Request.Wait(100)) { if ($sw.Elapsed.TotalSeconds -gt $Seconds) { throw "no answer to $Request within $Seconds s" } }
}
function Get-CallContext {
    $vars = [ordered]@{}
    foreach ($name in $env:CLIENT_SESSION_VARS -split ',') {
        $value = [System.Environment]::GetEnvironmentVariable($name)
        if ($null -ne $value) { $vars[$name] = $value }
    }
    [ordered]@{ env = $vars }
}
function New-TokenParams([datetime]$Expiry, [string]$UserId = 'integration') {
    ConvertTo-Json -Compress -Depth 10 -InputObject ([ordered]@{
        resourceGroupName = 'powershelltest'; serviceName = 'powershellsdkservice'
        userId = $UserId; keyType = 'Primary'; expiry = $Expiry.ToString('o', [cultureinfo]::InvariantCulture)
        context = Get-CallContext
    })
}
function Get-Outcome($Request) {
    [pscustomobject]@{
        Id = $Request.Id; Method = $Request.Method; Completed = $Request.IsCompleted; Succeeded = $Request.Succeeded
        Result = $Request.ResultJson
        ErrorCode = if ($Request.Error) { $Request.Error.Code } else { $null }
        ErrorMessage = if ($Request.Error) { $Request.Error.Message } else { $null }
        ErrorData = if ($Request.Error) { $Request.Error.DataJson } else { $null }
        Unattributed = if ($Request.Error) { $Request.Error.Unattributed } else { $null }
        FailureType = if ($Request.Failure) { $Request.Failure.GetType().FullName } else { $null }
        FailureKind = if ($Request.Failure) { $Request.Failure.Kind.ToString() } else { $null }
        Failure = if ($Request.Failure) { $Request.Failure.Message } else { $null }
        CancelRequested = $Request.CancelRequested
    }
}
# Whole minutes, UTC: the token carries its expiry as yyyyMMddHHmm.
$Now = [datetime]::UtcNow
$Base = [datetime]::new($Now.Year, $Now.Month, $Now.Day, $Now.Hour, $Now.Minute, 0, [System.DateTimeKind]::Utc).AddHours(2)
`;

async function ps(script: string, extra: Record<string, string | undefined> = {}, timeoutMs = 90_000): Promise<PsResult> {
  const r = await runPs(PRELUDE + script, { json: true, env: env(extra), timeoutMs });
  for (const o of r.objects) if (o && typeof o === "object" && typeof o.ServerPid === "number") started.push(o.ServerPid);
  return r;
}

function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `aztb-client-${name}-`));
}

describe("the client against the real server", () => {
  test("bridge/hello round-trip; one shared connection; the server starts with the allow-listed variables only; Dispose ends it", async () => {
    const r = await ps(`
$first = $false; $second = $false
$c = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo, [ref]$first)
$again = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo, [ref]$second)
$hello = $c.SendRequest('bridge/hello', '{}')
Wait-Request $hello
$names = @([System.IO.File]::ReadAllText("/proc/$($c.ProcessId)/environ").Split([char]0, [System.StringSplitOptions]::RemoveEmptyEntries) | ForEach-Object { $_.Split('=')[0] })
$serverPid = $c.ProcessId
[AzTokenBridge.Client.ServerConnection]::StopShared()
[pscustomobject]@{
    ServerPid = $serverPid; Started = @($first, $second); Same = [object]::ReferenceEquals($c, $again)
    Hello = Get-Outcome $hello; EnvNames = $names
    AliveAfter = $c.IsAlive; Exited = [System.Diagnostics.Process]::GetProcesses().Id -notcontains $serverPid
    DeathReason = $c.DeathReason; Shared = $null -eq [AzTokenBridge.Client.ServerConnection]::Shared
}`, { AZTOKENBRIDGE_CLIENT_TEST: "x" });
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.Started).toEqual([true, false]);
    expect(o.Same).toBe(true);
    expect(o.Hello.Succeeded).toBe(true);
    expect(o.Hello.Id).toBe(1);
    const hello = JSON.parse(o.Hello.Result);
    expect(hello).toMatchObject({ name: "aztokenbridge", protocolVersion: 1, pid: o.ServerPid });
    // The allow-list: the platform's and the server's own settings, none of the session's secrets.
    expect(o.EnvNames).toEqual(expect.arrayContaining(["PATH", "AZTOKENBRIDGE_CLIENT_TEST"]));
    for (const secret of ["AZURE_CLIENT_SECRET", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "CLIENT_DLL", "NO_COLOR"]) expect(o.EnvNames).not.toContain(secret);
    // Dispose closed its stdin: the server exited by itself (code 0).
    expect(o.AliveAfter).toBe(false);
    expect(o.Shared).toBe(true);
    expect(await gone([o.ServerPid])).toBe(true);
    expect(o.DeathReason).toMatch(new RegExp(`^The AzTokenBridge server \\(process ${o.ServerPid}\\) exited with exit code 0\\.`));
  });

  test("a real call (apim/newUserToken through the emulator): its result; an error answer carries code, message and data", async () => {
    const r = await ps(`
$c = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo)
$ok = $c.SendRequest('apim/newUserToken', (New-TokenParams $Base))
Wait-Request $ok
$missing = $c.SendRequest('apim/newUserToken', (New-TokenParams $Base -UserId 'nobody-here'))
Wait-Request $missing
[pscustomobject]@{ ServerPid = $c.ProcessId; Ok = Get-Outcome $ok; Missing = Get-Outcome $missing; Stamp = $Base.ToString('yyyyMMddHHmm') }`);
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.Ok.Succeeded).toBe(true);
    expect(JSON.parse(o.Ok.Result).userToken).toMatch(new RegExp(`^integration&${o.Stamp}&.+`));
    expect(o.Missing.Succeeded).toBe(false);
    expect(o.Missing.ErrorCode).toBe(1003);
    expect(o.Missing.Unattributed).toBe(false);
    expect(JSON.parse(o.Missing.ErrorData)).toMatchObject({ category: "ObjectNotFound" });
    expect(o.Missing.Failure).toBeNull();
  });

  test("50 concurrent requests from 4 runspaces (ForEach-Object -Parallel): one server, started once; every answer matched to its own request", async () => {
    const r = await ps(`
$Context = (Get-CallContext).env
$results = 0..3 | ForEach-Object -ThrottleLimit 4 -Parallel {
    $StartInfo = $using:StartInfo
    $base = $using:Base
    $context = [ordered]@{ env = $using:Context }
    $c = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo)
    $runspace = $_
    $count = if ($runspace -lt 2) { 13 } else { 12 }
    $requests = foreach ($i in 0..($count - 1)) {
        $minutes = $runspace * 13 + $i
        $params = ConvertTo-Json -Compress -Depth 10 -InputObject ([ordered]@{
            resourceGroupName = 'powershelltest'; serviceName = 'powershellsdkservice'
            userId = 'integration'; keyType = 'Primary'; expiry = $base.AddMinutes($minutes).ToString('o', [cultureinfo]::InvariantCulture)
            context = $context
        })
        [pscustomobject]@{ Stamp = $base.AddMinutes($minutes).ToString('yyyyMMddHHmm'); Request = $c.SendRequest('apim/newUserToken', $params) }
    }
    foreach ($x in $requests) {
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        while (-not $x.Request.Wait(100)) { if ($sw.Elapsed.TotalSeconds -gt 60) { throw "no answer to $($x.Request)" } }
        [pscustomobject]@{
            Runspace = $runspace; Id = $x.Request.Id; Stamp = $x.Stamp; Pid = $c.ProcessId
            Token = if ($x.Request.Succeeded) { ($x.Request.Result.GetProperty('userToken')).GetString() } else { "failed: $($x.Request.Error) $($x.Request.Failure)" }
        }
    }
}
[pscustomobject]@{ ServerPid = [AzTokenBridge.Client.ServerConnection]::Shared.ProcessId; Results = @($results) }`);
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.Results).toHaveLength(50);
    expect(new Set(o.Results.map((x: any) => x.Runspace))).toEqual(new Set([0, 1, 2, 3]));
    // One server for the whole process, started once though four runspaces asked at once.
    expect(new Set(o.Results.map((x: any) => x.Pid))).toEqual(new Set([o.ServerPid]));
    expect(new Set(o.Results.map((x: any) => x.Id)).size).toBe(50);
    expect(new Set(o.Results.map((x: any) => x.Stamp)).size).toBe(50);
    for (const x of o.Results) expect(x.Token).toMatch(new RegExp(`^integration&${x.Stamp}&`));
  });

  test("Cancel during a slow call: $/cancelRequest; the server answers RequestCancelled (-32800) and drops its HTTP call", async () => {
    const dir = tempDir("cancel");
    const logFile = path.join(dir, "server.log");
    const flag = path.join(dir, "go");
    const run = spawnPs(
      PRELUDE +
        `$c = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo)
$warm = $c.SendRequest('apim/newUserToken', (New-TokenParams $Base))   # signs in
Wait-Request $warm
[Console]::Out.WriteLine("warm $($c.ProcessId)"); [Console]::Out.Flush()
while (-not [System.IO.File]::Exists('${flag}')) { [System.Threading.Thread]::Sleep(50) }
# The server logs each HTTP request it makes (AZTOKENBRIDGE_LOG_LEVEL=info): wait until the slow
# call's request is on its way to the emulator.
function Get-Sent { @([System.IO.File]::ReadAllLines('${logFile}') | Where-Object { $_ -match 'Request:.*users/integration/token' }).Count }
$before = Get-Sent
$slow = $c.SendRequest('apim/newUserToken', (New-TokenParams $Base.AddMinutes(1)))
$sw = [System.Diagnostics.Stopwatch]::StartNew()
while ((Get-Sent) -le $before) { if ($sw.Elapsed.TotalSeconds -gt 30) { throw 'the slow call was never sent' }; [System.Threading.Thread]::Sleep(50) }
[System.Threading.Thread]::Sleep(300)
$completedBeforeCancel = $slow.IsCompleted
$slow.Cancel()
Wait-Request $slow 15
$after = $c.SendRequest('bridge/hello', '{}')
Wait-Request $after
[Console]::Out.WriteLine('RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject ([pscustomobject]@{
    CompletedBeforeCancel = $completedBeforeCancel; Slow = Get-Outcome $slow; After = $after.Succeeded; Alive = $c.IsAlive })))`,
      { env: env({ AZTOKENBRIDGE_LOG_LEVEL: "info", AZTOKENBRIDGE_LOG_FILE: logFile }), timeoutMs: 90_000 },
    );
    await run.waitForOutput(/warm \d+/, 60_000);
    started.push(Number(/warm (\d+)/.exec(run.output().stdout)![1]));
    const before = (await tokenEntries()).length;
    await emulator.control("PUT", "/latency", { ms: 20_000 });
    fs.writeFileSync(flag, "");
    const r = await run.result;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const o = JSON.parse(/^RESULT (.*)$/m.exec(r.stdout)![1]);
    expect(o.CompletedBeforeCancel).toBe(false);
    expect(o.Slow.CancelRequested).toBe(true);
    expect(o.Slow.ErrorCode).toBe(-32800);
    expect(JSON.parse(o.Slow.ErrorData)).toMatchObject({ errorId: "RequestCancelled" });
    expect(o.After).toBe(true);
    expect(o.Alive).toBe(true);
    // The emulator saw the client leave before its (20 s) answer was due.
    const entries = await until("the emulator's log of the cancelled call", async () => {
      const e = (await tokenEntries()).slice(before);
      return e.length >= 1 ? e : undefined;
    });
    expect(entries.map((x) => x.clientAborted ?? false)).toEqual([true]);
  });

  test("Ctrl+C while the pipeline thread waits in slices: the stop gets through; Cancel() in finally; the server answers RequestCancelled", async () => {
    const dir = tempDir("ctrlc");
    const logFile = path.join(dir, "server.log");
    const flag = path.join(dir, "go");
    const run = spawnPs(
      PRELUDE +
        `$c = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo)
$warm = $c.SendRequest('apim/newUserToken', (New-TokenParams $Base))   # signs in
Wait-Request $warm
[Console]::Out.WriteLine("warm $($c.ProcessId)"); [Console]::Out.Flush()
while (-not [System.IO.File]::Exists('${flag}')) { [System.Threading.Thread]::Sleep(50) }
function Get-Sent { @([System.IO.File]::ReadAllLines('${logFile}') | Where-Object { $_ -match 'Request:.*users/integration/token' }).Count }
$before = Get-Sent
$slow = $c.SendRequest('apim/newUserToken', (New-TokenParams $Base.AddMinutes(1)))
try {
    while ((Get-Sent) -le $before) { [System.Threading.Thread]::Sleep(50) }
    [System.Threading.Thread]::Sleep(300)
    [Console]::Out.WriteLine('calling'); [Console]::Out.Flush()
    while (-not $slow.Wait(100)) { }
    [Console]::Out.WriteLine('answered')
} finally {
    if (-not $slow.IsCompleted) { $slow.Cancel() }
    $null = $slow.Wait(15000)
    [Console]::Out.WriteLine("finally: code $($slow.Error.Code) cancelRequested $($slow.CancelRequested)")
}`,
      { env: env({ AZTOKENBRIDGE_LOG_LEVEL: "info", AZTOKENBRIDGE_LOG_FILE: logFile }), timeoutMs: 90_000 },
    );
    await run.waitForOutput(/warm \d+/, 60_000);
    started.push(Number(/warm (\d+)/.exec(run.output().stdout)![1]));
    const before = (await tokenEntries()).length;
    await emulator.control("PUT", "/latency", { ms: 20_000 });
    fs.writeFileSync(flag, "");
    await run.waitForOutput("calling", 30_000);
    run.child.kill("SIGINT");
    const r = await run.result;
    // pwsh -File after Ctrl+C exits 0 or 1 (both seen here, by where the stop lands: the statement or the script); the module does not choose
    expect([0, 1]).toContain(r.code);
    expect(r.stdout).not.toMatch(/answered/);
    expect(r.stdout).toMatch(/finally: code -32800 cancelRequested True/);
    const entries = await until("the emulator's log of the cancelled call", async () => {
      const e = (await tokenEntries()).slice(before);
      return e.length >= 1 ? e : undefined;
    });
    expect(entries.map((x) => x.clientAborted ?? false)).toEqual([true]);
  });

  test("a request over 16 MiB is refused before sending: nothing reaches the server, which stays up and answers the next call", async () => {
    const logFile = path.join(tempDir("oversize"), "server.log");
    const r = await ps(`
$c = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo)
$first = $c.SendRequest('bridge/hello', '{}')
Wait-Request $first
$refused = foreach ($size in @((16MB + 1), (16MB - 20))) {
    $params = '{"pad":"' + ('a' * ($size - 10)) + '"}'
    try { $null = $c.SendRequest('bridge/hello', $params); 'sent' }
    catch { $e = $_.Exception.InnerException; [pscustomobject]@{ Type = $e.GetType().FullName; Message = $e.Message; Size = $e.Size; Limit = $e.Limit } }
}
$next = $c.SendRequest('bridge/hello', '{}')
Wait-Request $next
$c2 = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo)
[pscustomobject]@{ ServerPid = $c.ProcessId; SamePid = $c2.ProcessId -eq $c.ProcessId; Refused = @($refused); Next = Get-Outcome $next; Alive = $c.IsAlive; Tail = @($c.GetStderrTail()) }
[AzTokenBridge.Client.ServerConnection]::StopShared()`, { AZTOKENBRIDGE_LOG_LEVEL: "verbose", AZTOKENBRIDGE_LOG_FILE: logFile });
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.Refused).toHaveLength(2);
    for (const x of o.Refused) {
      expect(x.Type).toBe("AzTokenBridge.Client.RpcMessageTooLargeException");
      expect(x.Limit).toBe(16 * 1024 * 1024);
      expect(x.Size).toBeGreaterThan(16 * 1024 * 1024);
      expect(x.Message).toMatch(/^The request bridge\/hello is \d+ bytes, over the AzTokenBridge server's limit of 16777216 bytes; it was not sent\.$/);
    }
    expect(o.Next.Succeeded).toBe(true);
    expect(o.SamePid).toBe(true);
    expect(o.Alive).toBe(true);
    // The server saw two requests, both answered; nothing was rejected.
    expect(o.Tail.filter((l: string) => /answered|ignored/.test(l))).toEqual([]);
    const log = fs.readFileSync(logFile, "utf8");
    expect(log).not.toMatch(/answered -32|over the limit/);
    expect(log.match(/request \d+ bridge\/hello: ok/g)).toHaveLength(2);
  });

  test("an error answer with a null id fails every request in flight with it; the connection carries on", async () => {
    await emulator.control("PUT", "/latency", { ms: 20_000 });
    const r = await ps(`
$c = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo)
$slow = @(1, 2 | ForEach-Object { $c.SendRequest('apim/newUserToken', (New-TokenParams $Base.AddMinutes($_))) })
$pendingBefore = $c.PendingCount
# A body that is not JSON: the server cannot read its id, and answers -32700 with id null.
$c.WriteFrame([System.Text.Encoding]::UTF8.GetBytes('{"jsonrpc":"2.0","id":99,'))
foreach ($s in $slow) { Wait-Request $s 15 }
$next = $c.SendRequest('bridge/hello', '{}')
Wait-Request $next
[pscustomobject]@{ ServerPid = $c.ProcessId; PendingBefore = $pendingBefore; Slow = @($slow | ForEach-Object { Get-Outcome $_ }); Next = $next.Succeeded; Alive = $c.IsAlive }
[AzTokenBridge.Client.ServerConnection]::StopShared()`);
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.PendingBefore).toBe(2);
    expect(o.Slow).toHaveLength(2);
    for (const s of o.Slow) {
      expect(s.ErrorCode).toBe(-32700);
      expect(s.ErrorMessage).toMatch(/^Parse error: the body is not valid JSON/);
      expect(s.Unattributed).toBe(true);
    }
    expect(o.Next).toBe(true);
    expect(o.Alive).toBe(true);
  });

  test("the server killed (kill -9): the requests in flight fail naming the exit; the next GetOrStart starts a new server", async () => {
    await emulator.control("PUT", "/latency", { ms: 20_000 });
    const r = await ps(`
$c = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo)
$hello = $c.SendRequest('bridge/hello', '{}')
Wait-Request $hello
$slow = @(1, 2, 3 | ForEach-Object { $c.SendRequest('apim/newUserToken', (New-TokenParams $Base.AddMinutes($_))) })
[System.Diagnostics.Process]::GetProcessById($c.ProcessId).Kill()   # SIGKILL
foreach ($s in $slow) { Wait-Request $s 15 }
$notSent = try { $null = $c.SendRequest('bridge/hello', '{}'); $null } catch { $_.Exception.InnerException }
$startedAgain = $false
$n = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo, [ref]$startedAgain)
$again = $n.SendRequest('bridge/hello', '{}')
Wait-Request $again
[pscustomobject]@{
    ServerPid = $c.ProcessId; NewPid = $n.ProcessId; StartedAgain = $startedAgain; Alive = $c.IsAlive
    Slow = @($slow | ForEach-Object { Get-Outcome $_ }); ExitCode = $slow[0].Failure.ExitCode
    NotSentKind = $notSent.Kind.ToString(); NotSentRequestSent = $notSent.RequestSent
    Again = Get-Outcome $again
}
[AzTokenBridge.Client.ServerConnection]::StopShared()`);
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    started.push(o.NewPid);
    expect(o.Alive).toBe(false);
    const message = `The AzTokenBridge server (process ${o.ServerPid}) exited with exit code 137.`;
    expect(o.Slow.map((s: any) => [s.FailureType, s.FailureKind, s.Failure])).toEqual(
      Array(3).fill(["AzTokenBridge.Client.ServerConnectionException", "Exited", message]),
    );
    expect(o.ExitCode).toBe(137);
    expect(o.NotSentKind).toBe("NotSent");
    expect(o.NotSentRequestSent).toBe(false);
    expect(o.StartedAgain).toBe(true);
    expect(o.NewPid).not.toBe(o.ServerPid);
    expect(o.Again.Succeeded).toBe(true);
    expect(JSON.parse(o.Again.Result).pid).toBe(o.NewPid);
  });

  test("a stalled server (stand-in: takes requests, answers nothing): every request in flight fails after the timeout naming the cause; the process tree is gone", async () => {
    const dir = tempDir("stall");
    const r = await ps(
      `
$c = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo)
$slow = @(1, 2, 3 | ForEach-Object { $c.SendRequest('apim/newUserToken', (New-TokenParams $Base.AddMinutes($_))) })
foreach ($s in $slow) { Wait-Request $s 60 }
[pscustomobject]@{ ServerPid = $c.ProcessId; Slow = @($slow | ForEach-Object { Get-Outcome $_ }); Alive = $c.IsAlive; Reason = $c.DeathReason }`,
      {
        CLIENT_SERVER: process.execPath,
        CLIENT_ARGS: [STAND_IN, "stall", dir, "0"].join("|"),
        AZTOKENBRIDGE_TIMEOUT_SECONDS: "2",
      },
    );
    const pids = fs.readFileSync(path.join(dir, "pid"), "utf8").trim().split(" ").map(Number);
    started.push(...pids);
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(pids[0]).toBe(o.ServerPid);
    expect(o.Alive).toBe(false);
    expect(new Set(o.Slow.map((s: any) => s.Failure))).toEqual(new Set([o.Reason]));
    expect(o.Slow.map((s: any) => s.FailureKind)).toEqual(["Unresponsive", "Unresponsive", "Unresponsive"]);
    expect(o.Reason).toMatch(
      new RegExp(
        `^The AzTokenBridge server \\(process ${o.ServerPid}\\) did not answer for 2 s: a request was waiting, and a liveness check \\(bridge/hello\\) got no answer\\. The connection was reset: the process was ended, and the next call starts a new server\\. AZTOKENBRIDGE_TIMEOUT_SECONDS sets how long to wait \\(default 30\\)\\.`,
      ),
    );
    // The probe was sent, once, after the requests.
    const methods = fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n").map((l) => l.split(" ")[1]);
    expect(methods).toEqual(["apim/newUserToken", "apim/newUserToken", "apim/newUserToken", "bridge/hello"]);
    // Killed: the stand-in and the real server behind it.
    expect(await gone(pids)).toBe(true);
  });

  /** Runs one newUserToken call through the stand-in in `mode` (timeout 2 s): its outcome, the stand-in's pids and the methods it saw. */
  async function throughStandIn(mode: string, delayMs = 4000) {
    const dir = tempDir(mode);
    const r = await ps(
      `
$c = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo)
$call = $c.SendRequest('apim/newUserToken', (New-TokenParams $Base))
Wait-Request $call 60
[pscustomobject]@{ ServerPid = $c.ProcessId; Call = Get-Outcome $call; Alive = $c.IsAlive; Reason = $c.DeathReason }
[AzTokenBridge.Client.ServerConnection]::StopShared()`,
      {
        CLIENT_SERVER: process.execPath,
        CLIENT_ARGS: [STAND_IN, mode, dir, "0", String(delayMs)].join("|"),
        AZTOKENBRIDGE_TIMEOUT_SECONDS: "2",
      },
    );
    const pids = fs.readFileSync(path.join(dir, "pid"), "utf8").trim().split(" ").map(Number);
    started.push(...pids);
    expect(r.errors).toEqual([]);
    const methods = fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n").map((l) => l.split(" ")[1]);
    return { o: r.objects.at(-1), pids, methods };
  }

  test.each([
    ["truncate", "half of the body its header announces"],
    ["long", "a Content-Length larger than the body"],
  ])("%s (stand-in: %s, then silence): the call fails after the timeout naming the partial message; the process tree is gone", async (mode) => {
    const { o, pids } = await throughStandIn(mode);
    expect(o.Call.FailureKind).toBe("Unresponsive");
    expect(o.Call.Failure).toBe(o.Reason);
    expect(o.Reason).toMatch(
      new RegExp(`^The AzTokenBridge server \\(process ${o.ServerPid}\\) did not answer for 2 s: it wrote part of a message \\(\\d+ of its \\d+ bytes\\) and then nothing more\\. The connection was reset`),
    );
    expect(await gone(pids)).toBe(true);
  });

  test("short (stand-in: a Content-Length smaller than the body): the message is not JSON; the call fails at once naming it; the process tree is gone", async () => {
    const { o, pids } = await throughStandIn("short");
    expect(o.Call.FailureKind).toBe("ProtocolError");
    expect(o.Reason).toMatch(
      new RegExp(`^The connection to the AzTokenBridge server \\(process ${o.ServerPid}\\) failed: The server sent a frame that is not valid JSON \\(its Content-Length, \\d+, may be wrong\\): '\\{"jsonrpc"`),
    );
    expect(o.Reason).toMatch(/The process was ended; the next call starts a new server\.$/);
    expect(await gone(pids)).toBe(true);
  });

  test("slow (stand-in: answers the liveness probe at once, the call 5 s late): the call succeeds, well past the 2 s timeout; probed while it waited", async () => {
    const { o, methods } = await throughStandIn("slow", 5000);
    expect(o.Call.Succeeded).toBe(true);
    expect(JSON.parse(o.Call.Result).userToken).toMatch(/^integration&/);
    expect(o.Alive).toBe(true);
    expect(methods[0]).toBe("apim/newUserToken");
    expect(methods.filter((m) => m === "bridge/hello").length).toBeGreaterThanOrEqual(2);
  });

  test("answers need no thread-pool thread: with every worker blocked, a hello and a real call are answered while a queued work item has not run", async () => {
    // The reader makes blocking reads on its own thread (module/Client/ServerConnection.cs
    // ReadLoop): an answer goes from the pipe to the waiting caller without the thread pool. With
    // ReadAsync, each answer waited for a pool thread (here: for ever, the pool being capped).
    const r = await ps(`
$c = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo)
Wait-Request ($c.SendRequest('bridge/hello', '{}'))
$workers = 0; $io = 0
[System.Threading.ThreadPool]::GetMaxThreads([ref]$workers, [ref]$io)
$cpus = [Environment]::ProcessorCount
$capped = [System.Threading.ThreadPool]::SetMaxThreads($cpus, $io)
$gate = [System.Threading.ManualResetEventSlim]::new($false)
# More blockers than workers: a worker the cap has not retired yet takes one of them, not the marker.
$blockers = @(foreach ($i in 1..(4 * $cpus)) { [System.Threading.Tasks.Task]::Run([Action]$gate.Wait) })
# Queued behind the blockers: it runs only once the workers are free.
$marker = [System.Threading.ManualResetEventSlim]::new($false)
$queued = [System.Threading.Tasks.Task]::Run([Action]$marker.Set)
try {
    $hello = $c.SendRequest('bridge/hello', '{}')
    Wait-Request $hello -Seconds 30
    $call = $c.SendRequest('apim/newUserToken', (New-TokenParams $Base))
    Wait-Request $call -Seconds 30
    $queuedRanMeanwhile = $marker.IsSet
} finally {
    $gate.Set()
    $null = [System.Threading.ThreadPool]::SetMaxThreads($workers, $io)
}
$null = $queued.Wait(30000)
[pscustomobject]@{
    ServerPid = $c.ProcessId; Capped = $capped; QueuedRanMeanwhile = $queuedRanMeanwhile; QueuedRanAfter = $marker.IsSet
    Hello = Get-Outcome $hello; Call = Get-Outcome $call
}
[AzTokenBridge.Client.ServerConnection]::StopShared()`);
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.Capped).toBe(true);
    // The pool was starved the whole time: the work item queued before the calls had not run when
    // both answers had come, and ran once the workers were freed.
    expect(o.QueuedRanMeanwhile).toBe(false);
    expect(o.QueuedRanAfter).toBe(true);
    expect(o.Hello.Succeeded).toBe(true);
    expect(o.Call.Succeeded).toBe(true);
    expect(JSON.parse(o.Call.Result).userToken).toMatch(/^integration&/);
  });

  test("notifications: params.requestId routes one to its request, any other to the connection", async () => {
    // A scripted server: for test/notify it sends two notifications about the request, one about
    // nothing, and one naming a request that is not in flight, then the answer.
    const dir = tempDir("notify");
    const fake = path.join(dir, "fake-server.js");
    fs.writeFileSync(
      fake,
      `"use strict";
let buf = Buffer.alloc(0);
const send = (m) => { const b = Buffer.from(JSON.stringify(m)); process.stdout.write(Buffer.concat([Buffer.from("Content-Length: " + b.length + "\\r\\n\\r\\n"), b])); };
process.stdin.on("data", (d) => {
  buf = Buffer.concat([buf, d]);
  for (;;) {
    const end = buf.indexOf("\\r\\n\\r\\n");
    if (end < 0) return;
    const n = Number(/content-length:\\s*(\\d+)/i.exec(buf.subarray(0, end).toString())[1]);
    if (buf.length < end + 4 + n) return;
    const m = JSON.parse(buf.subarray(end + 4, end + 4 + n).toString());
    buf = buf.subarray(end + 4 + n);
    if (m.method === "test/notify") {
      send({ jsonrpc: "2.0", method: "test/progress", params: { requestId: m.id, step: 1 } });
      send({ jsonrpc: "2.0", method: "test/log", params: { text: "hello" } });
      send({ jsonrpc: "2.0", method: "test/progress", params: { requestId: m.id, step: 2 } });
      send({ jsonrpc: "2.0", method: "test/progress", params: { requestId: 12345, step: 3 } });
      send({ jsonrpc: "2.0", id: m.id, result: { steps: 2 } });
    } else if (m.id !== undefined) send({ jsonrpc: "2.0", id: m.id, result: {} });
  }
});
process.stdin.on("end", () => process.exit(0));
`,
    );
    const r = await ps(
      `
$c = [AzTokenBridge.Client.ServerConnection]::Start($StartInfo)
$req = $c.SendRequest('test/notify', '{}')
Wait-Request $req
$mine = @(while ($n = $req.DequeueNotification()) { [pscustomobject]@{ Method = $n.Method; RequestId = $n.RequestId; Params = $n.ParamsJson } })
$others = @(while ($n = $c.DequeueNotification()) { [pscustomobject]@{ Method = $n.Method; RequestId = $n.RequestId; Params = $n.ParamsJson } })
$serverPid = $c.ProcessId
$c.Dispose()
[pscustomobject]@{ ServerPid = $serverPid; Id = $req.Id; Result = $req.ResultJson; Mine = $mine; Others = $others; Shared = $null -eq [AzTokenBridge.Client.ServerConnection]::Shared }`,
      { CLIENT_SERVER: process.execPath, CLIENT_ARGS: fake },
    );
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.Result).toBe('{"steps":2}');
    expect(o.Mine).toEqual([
      { $typeNames: expect.any(Array), Method: "test/progress", RequestId: o.Id, Params: `{"requestId":${o.Id},"step":1}` },
      { $typeNames: expect.any(Array), Method: "test/progress", RequestId: o.Id, Params: `{"requestId":${o.Id},"step":2}` },
    ]);
    expect(o.Others.map((x: any) => [x.Method, x.RequestId, x.Params])).toEqual([
      ["test/log", null, '{"text":"hello"}'],
      ["test/progress", 12345, '{"requestId":12345,"step":3}'],
    ]);
    // Start() is a connection of its own, not the process-wide one.
    expect(o.Shared).toBe(true);
    expect(await gone([o.ServerPid])).toBe(true);
  });

  test("pwsh exits promptly after a script that used the client, with the script's exit code, a request still in flight; the server exits", async () => {
    await emulator.control("PUT", "/latency", { ms: 20_000 });
    const t = Date.now();
    const r = await runPs(
      PRELUDE +
        `$c = [AzTokenBridge.Client.ServerConnection]::GetOrStart($StartInfo)
$hello = $c.SendRequest('bridge/hello', '{}')
Wait-Request $hello
$slow = $c.SendRequest('apim/newUserToken', (New-TokenParams $Base))
$null = $slow.Wait(300)
[Console]::Out.WriteLine("server $($c.ProcessId) pending $($c.PendingCount)")
exit 7`,
      { env: env(), timeoutMs: 60_000 },
    );
    const elapsed = Date.now() - t;
    const m = /server (\d+) pending (\d+)/.exec(r.stdout)!;
    const serverPid = Number(m[1]);
    started.push(serverPid);
    expect(r.code).toBe(7);
    expect(r.stderr).toBe("");
    expect(Number(m[2])).toBe(1);
    // Before the slow call's answer (20 s away) could have come: nothing held pwsh.
    expect(elapsed).toBeLessThan(18_000);
    // The server saw its stdin end and exited.
    expect(await gone([serverPid])).toBe(true);
  });
});
