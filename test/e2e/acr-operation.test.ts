/**
 * New-AzContainerRegistryToken's long-running operation under faults (issue E): an operation that
 * never finishes (OperationTimeout after AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS, and nothing polls
 * it afterwards), a status no client knows, a 404 and 5xx answers on the status URL. Single inputs
 * and piped ones, with -ErrorAction Stop too. (A failed operation and Ctrl+C while polling are in
 * acr.test.ts.) The emulator's control API makes the operations misbehave (src/emulator/acr).
 */
import * as fs from "node:fs";
import { EmulatorProcess, RequestLogEntry, startEmulatorProcess } from "../support/emulator";
import { MODULE_MANIFEST, SERVER_BINARY } from "../support/paths";
import { PsResult, runPs } from "../support/pwsh";

const SUB = "9e223dbe-3399-4e19-88eb-0975f02ac87f";
const REG_ID = `/subscriptions/${SUB}/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr`;
const MAP_ID = `${REG_ID}/scopeMaps/newmap`;
const BOUND_S = 3;

let emulator: EmulatorProcess;
let n = 0;
const fresh = (prefix = "op") => `${prefix}-${Date.now().toString(36)}-${++n}`;

beforeAll(async () => {
  if (!fs.existsSync(SERVER_BINARY)) throw new Error(`${SERVER_BINARY} is missing: run npm run build first`);
  emulator = await startEmulatorProcess();
});
afterAll(async () => emulator?.stop());
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
  expect(e.targetObject).toBe(name);
  const m = e.exceptionMessage as string;
  expect(m).toContain(`The operation creating token '${name}' did not finish within ${BOUND_S} s (last status: ${status}); nothing polls it any more.`);
  expect(m).toContain(`Get-AzContainerRegistryToken -Name '${name}' -RegistryName 'lnxcr' -ResourceGroupName 'lnxtest'`);
  expect(m).toMatch(new RegExp(`or the operation at https://[^ ]+/tokens/${name}/operationStatuses/token-[0-9a-f-]{36}\\?api-version=`));
  expect(m).toContain(`set $env:AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS (now ${BOUND_S})`);
}

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
[pscustomobject]@{ Seconds = $sw.Elapsed.TotalSeconds; Out = @($out).Count; Targets = @($ev | ForEach-Object { ([string]$_.TargetObject).Split('/')[-1] }); Ids = @($ev | ForEach-Object FullyQualifiedErrorId) }`);
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
    'caught ' + $_.FullyQualifiedErrorId + ' ' + $_.TargetObject
}
try {
    '${names.join("','")}' | ForEach-Object { [pscustomobject]@{ Name = $_ } } | ForEach-Object { New-AzContainerRegistryToken -Name $_.Name -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -ErrorAction Stop }
    'not reached'
} catch {
    'caught ' + $_.FullyQualifiedErrorId + ' ' + $_.TargetObject
}
$pipedAt = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
$sw = [System.Diagnostics.Stopwatch]::StartNew()
try {
    '${names.map((x) => `${x}-p`).join("','")}' | ForEach-Object { "${REG_ID}/tokens/$_" } | New-AzContainerRegistryToken -ScopeMapId $map -ErrorAction Stop
    'not reached'
} catch {
    'caught ' + $_.FullyQualifiedErrorId + ' ' + ([string]$_.TargetObject).Split('/')[-1]
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
    expect(e.targetObject).toBe(one);
    expect(e.exceptionMessage).toMatch(
      new RegExp(
        `^The status of the operation creating token '${one}' could not be read: its URL answered 404 Not Found \\(Error Code: ResourceNotFound; Error Message: The resource token-[0-9a-f-]{36} could not be found\\.; Request Id: [0-9a-f-]{36}\\)\\. The service no longer knows the operation; the token may or may not have been created: check it with Get-AzContainerRegistryToken -Name '${one}' -RegistryName 'lnxcr' -ResourceGroupName 'lnxtest'\\. The operation's URL: https://[^ ]+/tokens/${one}/operationStatuses/token-`,
      ),
    );
    expect(r.errors.slice(1).map((x) => [x.fullyQualifiedErrorId, String(x.targetObject).split("/").at(-1)])).toEqual([
      ["OperationNotFound,New-AzContainerRegistryToken", a],
      ["OperationNotFound,New-AzContainerRegistryToken", b],
    ]);
    const log = await emulator.requestLog();
    for (const x of [one, a, b, `${one}-s`]) expect(polls(log, x).map((p) => p.status)).toEqual([404]);
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
