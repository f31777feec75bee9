/**
 * New-AzContainerRegistryToken's long-running operation, polled by the server in one request
 * (acr/createToken, src/acr/handlers.ts): the server's progress and trace notifications in the
 * cmdlet's streams, -NoWait answering once the operation is accepted, a stop or Ctrl+C ending the
 * server's polling; and under faults: an operation that never finishes (OperationTimeout after
 * AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS, and nothing polls it afterwards), a status no client
 * knows, a 404 and 5xx answers on the status URL. Single inputs and piped ones, with -ErrorAction
 * Stop too. (A failed operation is in acr.test.ts.) The emulator's control API makes the
 * operations misbehave (src/emulator/acr).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorProcess, RequestLogEntry, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST } from "../support/paths";
import { PsResult, runPs, spawnPs } from "../support/pwsh";

const SUB = "9e223dbe-3399-4e19-88eb-0975f02ac87f";
const REG_ID = `/subscriptions/${SUB}/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr`;
const MAP_ID = `${REG_ID}/scopeMaps/newmap`;
const BOUND_S = 3;

let emulator: EmulatorProcess;
let n = 0;
const fresh = (prefix = "op") => `${prefix}-${Date.now().toString(36)}-${++n}`;

useEmulator((e) => (emulator = e));
beforeEach(async () => {
  await emulator.control("DELETE", "/faults");
  await emulator.control("PUT", "/acr/operations", { reset: true, durationMs: 0, retryAfterSeconds: 1 });
  await emulator.control("DELETE", "/requests");
});

function ps(script: string, extraEnv: Record<string, string | undefined> = {}): Promise<PsResult> {
  return runPs(`Import-Module '${MODULE_MANIFEST}'\n$map = '${MAP_ID}'\n${script}`, {
    json: true,
    timeoutMs: 90_000,
    env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS: String(BOUND_S), ...extraEnv },
  });
}

const polls = (log: RequestLogEntry[], name: string) => log.filter((e) => e.method === "GET" && e.path.includes(`/tokens/${name}/operationStatuses/`));
const put = (log: RequestLogEntry[], name: string) => log.find((e) => e.method === "PUT" && e.path.endsWith(`/tokens/${name}`))!;
const ms = (e: RequestLogEntry) => Date.parse(e.time);

/** The OperationTimeout record for token `name` whose operation was last seen with `status`. */
function expectTimeout(e: any, name: string, status = "InProgress") { // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(e.fullyQualifiedErrorId).toBe("OperationTimeout,New-AzContainerRegistryToken");
  expect(e.category).toBe("OperationTimeout");
  expect(e.exceptionType).toBe("System.TimeoutException");
  expect(e.targetObject).toMatchObject({ Name: name });
  const m = e.exceptionMessage as string;
  expect(m).toContain(`The operation creating token '${name}' did not finish within ${BOUND_S} s (last status: ${status}); nothing polls it any more.`);
  expect(m).toContain(`Get-AzContainerRegistryToken -Name '${name}' -RegistryName 'lnxcr' -ResourceGroupName 'lnxtest'`);
  expect(m).toMatch(new RegExp(`or the operation at https://[^ ]+/tokens/${name}/operationStatuses/token-[0-9a-f-]{36}\\?api-version=`));
  expect(m).toContain(`set $env:AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS (now ${BOUND_S})`);
}

/** Resolves once the emulator has seen at least `n` polls of token `name`'s operation. */
async function untilPolled(name: string, n: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = polls(await emulator.requestLog(), name).length;
    if (seen >= n) return seen;
    if (Date.now() > deadline) throw new Error(`the emulator saw ${seen} polls of ${name}, not ${n}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the server polls, the cmdlet shows it", () => {
  test("progress notifications are Write-Progress records (completed at the end); -Verbose shows the server's trace lines, -Debug its delays", async () => {
    // Counted polls: one InProgress, then Succeeded, whatever the machine's speed; two waits of 2 s.
    await emulator.control("PUT", "/acr/operations", { pendingPolls: 1, retryAfterSeconds: 2 });
    const name = fresh("prog");
    // The progress stream, read from a [powershell] instance (Invoke-TestScript.ps1 cannot redirect
    // progress: no stream number); CreateDefault2: the engine package has no Microsoft.PowerShell.Host snap-in.
    const r = await ps(`$p = [powershell]::Create([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
$null = $p.AddScript("Import-Module '${MODULE_MANIFEST}'; New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId '$map' -Verbose -Debug")
$out = $p.Invoke()
[pscustomobject]@{
    State = $out[0].ProvisioningState
    Errors = $p.Streams.Error.Count
    Progress = @($p.Streams.Progress | ForEach-Object { '{0}|{1}|{2}|{3}|{4}' -f $_.Activity, $_.StatusDescription, $_.CurrentOperation, $_.PercentComplete, $_.RecordType })
    Verbose = @($p.Streams.Verbose | ForEach-Object Message)
    Debug = @($p.Streams.Debug | ForEach-Object Message)
}`, { AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS: "60" }); // not this file's bound of 3 s, which would cut the second wait short
    expect(r.errors).toEqual([]);
    const o = r.objects[0];
    expect(o.State).toBe("Succeeded");
    expect(o.Errors).toBe(0);
    const progress = o.Progress as string[];
    // Each wait of 2 s: a record at its start (0%) and after its first second (50%), each about
    // this token; the last record completes the bar.
    const record = (percent: number) => `In progress|Checking operation status|Creating token '${name}'|${percent}|Processing`;
    expect(progress).toEqual([record(0), record(50), record(0), record(50), "In progress|Completed||-1|Completed"]);
    expect(o.Verbose).toEqual(expect.arrayContaining([`AzTokenBridge: PUT token '${name}': HTTP 201.`, "AzTokenBridge: operation status InProgress.", "AzTokenBridge: operation status Succeeded."]));
    expect(o.Verbose.indexOf("AzTokenBridge: operation status InProgress.")).toBeLessThan(o.Verbose.indexOf("AzTokenBridge: operation status Succeeded."));
    expect(o.Verbose.at(-1)).toMatch(/^AzTokenBridge: acr\/createToken completed in [\d.]+ ms\.$/);
    expect(o.Debug.filter((m: string) => m.startsWith("Delaying"))).toEqual(["Delaying 2 seconds before polling.", "Delaying 2 seconds before polling."]);
    // No signed URL's signature in any trace line.
    expect([...o.Verbose, ...o.Debug].join("\n")).not.toMatch(/[?&](?:s|h|c|t)=(?!REDACTED)[^&\s"]+/);
    const log = await emulator.requestLog();
    expect(log.filter((e) => e.path.includes(`/tokens/${name}`)).map((e) => [e.method, e.operationStatus ?? e.status])).toEqual([["PUT", 201], ["GET", "InProgress"], ["GET", "Succeeded"], ["GET", 200]]);
  });

  test("without -Verbose no trace line is written; piped inputs share one progress bar counting the tokens created", async () => {
    await emulator.control("PUT", "/acr/operations", { pendingPolls: 1, retryAfterSeconds: 1 });
    const names = [fresh("pa"), fresh("pb"), fresh("pc")];
    const r = await ps(`$p = [powershell]::Create([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
$null = $p.AddScript("Import-Module '${MODULE_MANIFEST}'; '${names.join("','")}' | ForEach-Object { '${REG_ID}/tokens/' + \`$_ } | New-AzContainerRegistryToken -ScopeMapId '$map'")
$out = $p.Invoke()
[pscustomobject]@{
    Names = @($out | ForEach-Object Name)
    Verbose = $p.Streams.Verbose.Count
    Progress = @($p.Streams.Progress | ForEach-Object { '{0}|{1}|{2}' -f $_.ActivityId, $_.CurrentOperation, $_.RecordType })
}`);
    expect(r.errors).toEqual([]);
    const o = r.objects[0];
    expect(o.Names).toEqual(names);
    expect(o.Verbose).toBe(0);
    const progress = o.Progress as string[];
    expect(progress.every((x) => x.startsWith("1|"))).toBe(true);
    expect(progress.some((x) => /^1\|Creating token '[^']+' \(\d of [23] tokens created\)\|Processing$/.test(x))).toBe(true);
    expect(progress.at(-1)).toBe("1||Completed");
  });

  test("a failed operation under -ErrorAction Stop: the progress bar is completed before the error ends the cmdlet", async () => {
    // One InProgress poll (progress shown), then the operation fails.
    await emulator.control("PUT", "/acr/operations", { pendingPolls: 1, retryAfterSeconds: 1, failNext: 1, failCode: "TokenQuotaExceeded", failMessage: "No more tokens." });
    const name = fresh("pfail");
    const r = await ps(`$p = [powershell]::Create([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
$null = $p.AddScript("Import-Module '${MODULE_MANIFEST}'; New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId '$map' -ErrorAction Stop")
$caught = try { $null = $p.Invoke(); 'not reached' } catch { $_.Exception.InnerException.ErrorRecord.FullyQualifiedErrorId }
[pscustomobject]@{
    Caught = $caught
    Progress = @($p.Streams.Progress | ForEach-Object { '{0}|{1}' -f $_.StatusDescription, $_.RecordType })
}`);
    expect(r.errors).toEqual([]);
    const o = r.objects[0];
    expect(o.Caught).toBe("TokenQuotaExceeded,New-AzContainerRegistryToken");
    expect(o.Progress.length).toBeGreaterThanOrEqual(2);
    expect(o.Progress.slice(0, -1).every((x: string) => x === "Checking operation status|Processing")).toBe(true);
    expect(o.Progress.at(-1)).toBe("Completed|Completed");
    const log = await emulator.requestLog();
    expect(log.filter((e) => e.path.includes(`/tokens/${name}`)).map((e) => e.operationStatus ?? e.status)).toEqual([201, "InProgress", "Failed"]);
  });

  test("-NoWait returns once the operation is accepted: it is still pending, and nothing polls it", async () => {
    // Counted polls: the operation stays pending until it is polled three times.
    await emulator.control("PUT", "/acr/operations", { pendingPolls: 3, retryAfterSeconds: 1 });
    const name = fresh("nowait");
    const r = await ps(`$r = New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -NoWait
$r.psobject.TypeNames[0]; $r.Target
(Get-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest).ProvisioningState`);
    expect(r.errors).toEqual([]);
    expect(r.objects[0]).toBe("Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Runtime.PowerShell.AsyncOperationResponse");
    expect(r.objects[1]).toMatch(new RegExp(`${REG_ID}/tokens/${name}/operationStatuses/token-[0-9a-f-]{36}\\?api-version=`));
    expect(r.objects[2]).toBe("Creating");
    const log = await emulator.requestLog();
    expect(polls(log, name)).toEqual([]);
    expect(log.filter((e) => e.path.includes(`/tokens/${name}`)).map((e) => e.method)).toEqual(["PUT", "GET"]);
  });

  test("a stop (PowerShell.Stop) while the server polls cancels the request: the emulator sees no further poll", async () => {
    await emulator.control("PUT", "/acr/operations", { neverFinish: true, retryAfterSeconds: 1 });
    const name = fresh("stopped");
    const run = spawnPs(`Import-Module '${MODULE_MANIFEST}'
$p = [powershell]::Create([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
$null = $p.AddScript("Import-Module '${MODULE_MANIFEST}'; New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId '${MAP_ID}'")
$async = $p.BeginInvoke()
[Console]::Out.WriteLine('started'); [Console]::Out.Flush()
$null = [Console]::In.ReadLine()
$p.Stop()
[Console]::Out.WriteLine('stopped ' + $p.InvocationStateInfo.State + ' progress ' + $p.Streams.Progress.Count); [Console]::Out.Flush()
$null = [Console]::In.ReadLine()`, { env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined }, keepStdinOpen: true, timeoutMs: 90_000 });
    await run.waitForOutput("started", 30_000);
    await untilPolled(name, 2);
    run.child.stdin!.write("\n");
    await run.waitForOutput(/stopped Stopped progress [1-9]/, 30_000);
    const seen = polls(await emulator.requestLog(), name).length;
    // The session and its server live on: three of the operation's Retry-After intervals later,
    // still no further poll.
    await new Promise((r) => setTimeout(r, 3000));
    expect(polls(await emulator.requestLog(), name).length).toBe(seen);
    run.child.stdin!.end("\n");
    expect((await run.result).code).toBe(0);
  });

  test("Ctrl+C while the server polls: the cmdlet stops, the request is cancelled, the emulator sees no further poll", async () => {
    await emulator.control("PUT", "/acr/operations", { neverFinish: true, retryAfterSeconds: 1 });
    const name = fresh("ctrlc");
    const run = spawnPs(`Import-Module '${MODULE_MANIFEST}'
try {
    [Console]::Out.WriteLine('calling'); [Console]::Out.Flush()
    New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId '${MAP_ID}'
} finally {
    [Console]::Out.WriteLine('finally ran'); [Console]::Out.Flush()
    # The session (and its server) lives on for three of the operation's Retry-After intervals.
    [System.Threading.Thread]::Sleep(3000)
    [Console]::Out.WriteLine('leaving')
}`, { env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined }, timeoutMs: 90_000 });
    await run.waitForOutput("calling", 30_000);
    await untilPolled(name, 2);
    run.child.kill("SIGINT");
    await run.waitForOutput("finally ran", 30_000);
    const seen = polls(await emulator.requestLog(), name).length;
    const r = await run.result;
    // pwsh -File after Ctrl+C exits 0 or 1 (by where the stop lands); the module does not choose.
    expect([0, 1]).toContain(r.code);
    expect(r.stdout).toMatch(/leaving/);
    expect(r.objects).toEqual([]);
    // While the server still ran, after the stop: no further poll.
    expect(polls(await emulator.requestLog(), name).length).toBe(seen);
  });
});

describe("an operation that never finishes (AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS)", () => {
  beforeEach(async () => {
    await emulator.control("PUT", "/acr/operations", { neverFinish: true, retryAfterSeconds: 1 });
  });

  test("one input: an OperationTimeout ErrorRecord at the bound (last poll at the bound), the script goes on, and nothing polls afterwards", async () => {
    const name = fresh();
    const r = await ps(`$sw = [System.Diagnostics.Stopwatch]::StartNew()
New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -ErrorVariable ev
$seconds = $sw.Elapsed.TotalSeconds
$errorAt = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
# The session (and its server) live on: any poll still going would show in the log now.
[System.Threading.Thread]::Sleep(3000)
[pscustomobject]@{ Seconds = $seconds; Errors = $ev.Count; ErrorAt = $errorAt; Recommended = $ev[0].ErrorDetails.RecommendedAction }`);
    expect(r.errors).toHaveLength(1);
    expectTimeout(r.errors[0], name);
    const o = r.objects.at(-1);
    expect(o.Errors).toBe(1);
    expect(o.Recommended).toMatch(/^Check the token later with Get-AzContainerRegistryToken -Name '.+'; set \$env:AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS to wait longer\.$/);
    expect(o.Seconds).toBeGreaterThanOrEqual(BOUND_S);
    expect(o.Seconds).toBeLessThan(BOUND_S + 20); // generous: the operation never finishes, so without the bound it would run on
    const log = await emulator.requestLog();
    const p = polls(log, name);
    // Retry-After 1 s: about one poll a second, the last one at the bound, none after the error.
    expect(p.length).toBeGreaterThanOrEqual(BOUND_S - 1);
    expect(p.length).toBeLessThanOrEqual(BOUND_S + 1);
    expect(p.every((e) => e.operationStatus === "InProgress")).toBe(true);
    expect(ms(p.at(-1)!) - ms(put(log, name))).toBeGreaterThanOrEqual(BOUND_S * 1000 - 250);
    expect(p.every((e) => ms(e) <= o.ErrorAt)).toBe(true);
    expect(log.filter((e) => ms(e) > o.ErrorAt && e.path.includes("/tokens/"))).toEqual([]);
  });

  test("piped inputs: each times out on its own, concurrently, each its own OperationTimeout in input order; the script goes on", async () => {
    const names = [fresh("a"), fresh("b"), fresh("c")];
    const r = await ps(`$sw = [System.Diagnostics.Stopwatch]::StartNew()
$out = '${names.join("','")}' | ForEach-Object { "${REG_ID}/tokens/$_" } | New-AzContainerRegistryToken -ScopeMapId $map -ErrorVariable ev -ErrorAction SilentlyContinue
[pscustomobject]@{ Seconds = $sw.Elapsed.TotalSeconds; Out = @($out).Count; Targets = @($ev | ForEach-Object { $_.TargetObject.Name }); Ids = @($ev | ForEach-Object FullyQualifiedErrorId) }`);
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.Out).toBe(0);
    expect(o.Targets).toEqual(names);
    expect(o.Ids).toEqual(Array(3).fill("OperationTimeout,New-AzContainerRegistryToken"));
    // Concurrent: about one bound in all, not three.
    expect(o.Seconds).toBeLessThan(BOUND_S + 20); // generous: without the bound it would never end
  });

  test("-ErrorAction Stop: one input throws OperationTimeout; piped, the first timeout stops the pipeline and every other input stops polling", async () => {
    const single = fresh("s");
    const names = [fresh("a"), fresh("b"), fresh("c")];
    const r = await ps(`try {
    New-AzContainerRegistryToken -Name ${single} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -ErrorAction Stop
    'not reached'
} catch {
    'caught ' + $_.FullyQualifiedErrorId + ' ' + $_.TargetObject.Name
}
try {
    '${names.join("','")}' | ForEach-Object { [pscustomobject]@{ Name = $_ } } | ForEach-Object { New-AzContainerRegistryToken -Name $_.Name -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -ErrorAction Stop }
    'not reached'
} catch {
    'caught ' + $_.FullyQualifiedErrorId + ' ' + $_.TargetObject.Name
}
$pipedAt = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
$sw = [System.Diagnostics.Stopwatch]::StartNew()
try {
    '${names.map((x) => `${x}-p`).join("','")}' | ForEach-Object { "${REG_ID}/tokens/$_" } | New-AzContainerRegistryToken -ScopeMapId $map -ErrorAction Stop
    'not reached'
} catch {
    'caught ' + $_.FullyQualifiedErrorId + ' ' + $_.TargetObject.Name
}
$seconds = $sw.Elapsed.TotalSeconds
$errorAt = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
[System.Threading.Thread]::Sleep(3000)
[pscustomobject]@{ Seconds = $seconds; ErrorAt = $errorAt; PipedAt = $pipedAt }`);
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(r.objects.slice(0, 3)).toEqual([
      `caught OperationTimeout,New-AzContainerRegistryToken ${single}`,
      // One at a time (a command per input): the first input's timeout ends the loop.
      `caught OperationTimeout,New-AzContainerRegistryToken ${names[0]}`,
      `caught OperationTimeout,New-AzContainerRegistryToken ${names[0]}-p`,
    ]);
    expect(o.Seconds).toBeLessThan(BOUND_S + 20); // generous: without the bound it would never end
    const log = await emulator.requestLog();
    // The other inputs were never created after the first stopped the loop …
    expect(log.filter((e) => e.method === "PUT" && (e.path.endsWith(names[1]) || e.path.endsWith(names[2])))).toEqual([]);
    // … and the piped ones were all in creation, and none polls after the stop.
    for (const x of names.map((y) => `${y}-p`)) {
      expect(put(log, x)).toBeDefined();
      expect(ms(put(log, x))).toBeGreaterThanOrEqual(o.PipedAt);
      expect(polls(log, x).length).toBeGreaterThanOrEqual(1);
    }
    expect(log.filter((e) => ms(e) > o.ErrorAt && e.path.includes("/tokens/"))).toEqual([]);
  });
});

describe("the status URL misbehaves", () => {
  test("a status no client knows (not InProgress) is polled like InProgress: the token is created; never finishing, it times out naming that status", async () => {
    await emulator.control("PUT", "/acr/operations", { pendingPolls: 1, retryAfterSeconds: 1, pendingStatus: "Queued" });
    const [done, stuck] = [fresh("q"), fresh("q")];
    const r = await ps(`(New-AzContainerRegistryToken -Name ${done} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map).ProvisioningState
$handler = [System.Net.Http.HttpClientHandler]::new()
$handler.ServerCertificateCustomValidationCallback = [System.Net.Http.HttpClientHandler]::DangerousAcceptAnyServerCertificateValidator
$http = [System.Net.Http.HttpClient]::new($handler)
$null = $http.PutAsync('${emulator.info.controlEndpoint}/acr/operations', [System.Net.Http.StringContent]::new('{"neverFinish":true}', [System.Text.Encoding]::UTF8, 'application/json')).GetAwaiter().GetResult()
New-AzContainerRegistryToken -Name ${stuck} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map`);
    expect(r.objects).toEqual(["Succeeded"]);
    const log = await emulator.requestLog();
    expect(polls(log, done).map((e) => e.operationStatus)).toEqual(expect.arrayContaining(["Queued", "Succeeded"]));
    expect(r.errors).toHaveLength(1);
    expectTimeout(r.errors[0], stuck, "Queued");
  });

  test("404 on the status URL (the service forgot the operation): one OperationNotFound ErrorRecord, naming the URL and how to check; no further poll", async () => {
    await emulator.control("PUT", "/acr/operations", { neverFinish: true, retryAfterSeconds: 1, forgetOperations: true });
    const [one, a, b] = [fresh("nf"), fresh("nf"), fresh("nf")];
    const r = await ps(`New-AzContainerRegistryToken -Name ${one} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
'after'
'${a}', '${b}' | ForEach-Object { "${REG_ID}/tokens/$_" } | New-AzContainerRegistryToken -ScopeMapId $map
try { New-AzContainerRegistryToken -Name ${one}-s -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -ErrorAction Stop } catch { 'caught ' + $_.FullyQualifiedErrorId }`);
    expect(r.objects).toEqual(["after", "caught OperationNotFound,New-AzContainerRegistryToken"]);
    expect(r.errors).toHaveLength(3);
    const e = r.errors[0];
    expect(e.fullyQualifiedErrorId).toBe("OperationNotFound,New-AzContainerRegistryToken");
    expect(e.category).toBe("ObjectNotFound");
    expect(e.targetObject).toMatchObject({ Name: one });
    expect(e.exceptionMessage).toMatch(
      new RegExp(
        `^The status of the operation creating token '${one}' could not be read: its URL answered 404 Not Found \\(Error Code: ResourceNotFound; Error Message: The resource token-[0-9a-f-]{36} could not be found\\.; Request Id: [0-9a-f-]{36}\\)\\. The service no longer knows the operation; the token may or may not have been created: check it with Get-AzContainerRegistryToken -Name '${one}' -RegistryName 'lnxcr' -ResourceGroupName 'lnxtest' -SubscriptionId '${SUB}'\\. The operation's URL: https://[^ ]+/tokens/${one}/operationStatuses/token-`,
      ),
    );
    expect(r.errors.slice(1).map((x) => [x.fullyQualifiedErrorId, x.targetObject.Name])).toEqual([
      ["OperationNotFound,New-AzContainerRegistryToken", a],
      ["OperationNotFound,New-AzContainerRegistryToken", b],
    ]);
    const log = await emulator.requestLog();
    for (const x of [one, a, b, `${one}-s`]) expect(polls(log, x).map((p) => p.status)).toEqual([404]);
  });

  test("the suggested Get-AzContainerRegistryToken runs as pasted, in the subscription the call used (here -DefaultProfile's, no AZURE_SUBSCRIPTION_ID)", async () => {
    await emulator.control("PUT", "/acr/operations", { neverFinish: true, retryAfterSeconds: 1, forgetOperations: true });
    const name = fresh("paste");
    const r = await ps(
      `New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -DefaultProfile @{ TenantId = $env:AZURE_TENANT_ID; ClientId = $env:AZURE_CLIENT_ID; ClientSecret = $env:AZURE_CLIENT_SECRET; SubscriptionId = '${SUB}' } -ErrorVariable ev -ErrorAction SilentlyContinue
$ev.Count
$command = $ev[0].ErrorDetails.RecommendedAction -replace '^Check the token with (.*)\\.$', '$1'
$command
(Invoke-Expression $command).Name`,
      // No default subscription anywhere: an Azure CLI with nobody signed in, no variable.
      { AZURE_SUBSCRIPTION_ID: undefined, AZURE_CONFIG_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "aztb-no-az-login-")) },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual([
      1,
      `Get-AzContainerRegistryToken -Name '${name}' -RegistryName 'lnxcr' -ResourceGroupName 'lnxtest' -SubscriptionId '${SUB}'`,
      name,
    ]);
  });

  test("5xx on the status URL is retried (the retry policy): the token is created", async () => {
    await emulator.control("PUT", "/acr/operations", { durationMs: 0, retryAfterSeconds: 0 });
    await emulator.control("POST", "/faults", { match: { service: "arm", method: "GET", pathContains: "operationStatuses" }, status: 503, count: 2 });
    const name = fresh("5xx");
    const r = await ps(`(New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map).ProvisioningState`);
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual(["Succeeded"]);
    expect(polls(await emulator.requestLog(), name).map((p) => p.status)).toEqual([503, 503, 200]);
  });
});
