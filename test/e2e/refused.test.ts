/**
 * An endpoint that refuses connections (issue R, item 7): with ARM at a closed local port, or the
 * emulator killed, 40 piped inputs each fail with one clear error naming the host and the cause,
 * and the batch takes seconds, not 40 × 14 s of retries: after a refused connection, requests to
 * that host fail at once for a few seconds (src/azure/retry.ts). The server's verbose log has one
 * line per connection actually refused: at most the first wave of the window.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorProcess, startEmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST } from "../support/paths";
import { runPs } from "../support/pwsh";

let emulator: EmulatorProcess;
let dir: string;

useEmulator((e) => (emulator = e));
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-refused-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A local port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const batch = (before = "") => `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
${before}
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$tokens = 1..40 | ForEach-Object { [pscustomobject]@{ UserId = "user$_" } } |
    New-AzApiManagementUserToken -Context $context -ThrottleLimit 16 -ErrorVariable failed -ErrorAction SilentlyContinue
[pscustomobject]@{
    Seconds  = $sw.Elapsed.TotalSeconds
    Tokens   = @($tokens).Count
    Targets  = @($failed | ForEach-Object { $_.TargetObject })
    ErrorIds = @($failed | ForEach-Object FullyQualifiedErrorId | Sort-Object -Unique)
    Messages = @($failed | ForEach-Object { $_.Exception.Message })
}`;

function check(o: any, origin: string, logFile: string) {
  expect(o.Tokens).toBe(0);
  expect(o.Targets).toHaveLength(40);
  expect(new Set(o.Targets).size).toBe(40);
  expect(o.ErrorIds).toEqual(["ECONNREFUSED,New-AzApiManagementUserToken"]);
  const escaped = origin.replace(/[.]/g, "\\.");
  for (const m of o.Messages) {
    expect(m).toMatch(new RegExp(`^(Could not connect to ${escaped}: the connection was refused|Not sent to ${escaped}: a connection to it was refused [\\d.]+ s ago) \\(ECONNREFUSED\\)\\.`));
  }
  // Retried, each input cost ~14 s: 40 at 16 at a time, at least 3 × 14 s.
  expect(o.Seconds).toBeLessThan(20);
  const refused = fs.readFileSync(logFile, "utf8").split("\n").filter((l) => l.includes(`connection to ${origin} refused`));
  expect(refused.length).toBeGreaterThanOrEqual(1);
  expect(refused.length).toBeLessThanOrEqual(17);
}

test("ARM at a closed local port: 40 piped inputs, one clear error each, in seconds", async () => {
  const origin = `https://127.0.0.1:${await closedPort()}`;
  const logFile = path.join(dir, "server.log");
  const r = await runPs(batch(), {
    json: true,
    timeoutMs: 60_000,
    env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, AZTOKENBRIDGE_ARM_ENDPOINT: origin, AZTOKENBRIDGE_LOG_LEVEL: "verbose", AZTOKENBRIDGE_LOG_FILE: logFile },
  });
  expect(r.errors).toEqual([]);
  check(r.objects.at(-1), origin, logFile);
}, 90_000);

test("the emulator killed (SIGKILL) after a first call: the next 40 inputs each fail at once naming it", async () => {
  const own = await startEmulatorProcess();
  const logFile = path.join(dir, "server.log");
  try {
    const killFile = path.join(dir, "kill");
    // The script asks the test to kill the emulator by writing a file, then waits until it is gone.
    const wait = `$null = New-AzApiManagementUserToken -Context $context -UserId integration
[System.IO.File]::WriteAllText('${killFile}', 'now')
while ([System.IO.File]::Exists('${killFile}')) { Start-Sleep -Milliseconds 50 }`;
    const run = runPs(batch(wait), {
      json: true,
      timeoutMs: 60_000,
      env: { ...own.env, AZTOKENBRIDGE_SERVER: undefined, AZTOKENBRIDGE_LOG_LEVEL: "verbose", AZTOKENBRIDGE_LOG_FILE: logFile },
    });
    let settled = false;
    void run.finally(() => (settled = true));
    while (!fs.existsSync(killFile)) {
      if (settled) throw new Error(`the script ended before the emulator was killed: ${JSON.stringify((await run).records)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    own.child.kill("SIGKILL");
    await new Promise<void>((resolve) => (own.child.exitCode !== null || own.child.signalCode !== null ? resolve() : own.child.once("exit", () => resolve())));
    fs.rmSync(killFile);
    const r = await run;
    expect(r.errors).toEqual([]);
    check(r.objects.at(-1), own.info.armEndpoint, logFile);
  } finally {
    // (stop() waits for an exit that a killed child has already had)
    if (own.child.exitCode === null && own.child.signalCode === null) await own.stop();
  }
}, 90_000);

test("Entra ID (the authority host) at a closed local port: 40 inputs, one error each naming it, in seconds", async () => {
  const origin = `https://127.0.0.1:${await closedPort()}`;
  const logFile = path.join(dir, "server.log");
  const r = await runPs(batch(), {
    json: true,
    timeoutMs: 60_000,
    env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, AZURE_AUTHORITY_HOST: origin, AZTOKENBRIDGE_LOG_LEVEL: "verbose", AZTOKENBRIDGE_LOG_FILE: logFile },
  });
  expect(r.errors).toEqual([]);
  const o = r.objects.at(-1);
  expect(o.Tokens).toBe(0);
  expect(o.Targets).toHaveLength(40);
  expect(new Set(o.Targets).size).toBe(40);
  // msal reports the refusal only as endpoints_resolution_error; the credential's error
  // (src/azure/credentials.ts) gives the cause the pipeline saw (src/azure/retry.ts) and the host.
  expect(o.ErrorIds).toEqual(["ECONNREFUSED,New-AzApiManagementUserToken"]);
  const escaped = origin.replace(/[.]/g, "\\.");
  for (const m of o.Messages) expect(m).toMatch(new RegExp(`^Sign-in with .* failed\\. (Could not connect to ${escaped}: the connection was refused|Not sent to ${escaped}: a connection to it was refused)`));
  expect(o.Seconds).toBeLessThan(20);
  const refused = fs.readFileSync(logFile, "utf8").split("\n").filter((l) => l.includes(`connection to ${origin} refused`));
  expect(refused.length).toBeGreaterThanOrEqual(1);
  expect(refused.length).toBeLessThanOrEqual(17);
}, 90_000);

describe("a connection that fails names the host and the cause in the message", () => {
  const one = `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
New-AzApiManagementUserToken -Context $context -UserId integration -ErrorAction SilentlyContinue -ErrorVariable failed
[pscustomobject]@{ ErrorId = $failed[0].FullyQualifiedErrorId; Category = [string]$failed[0].CategoryInfo.Category; Message = $failed[0].Exception.Message }`;

  test("a host name that does not resolve", async () => {
    const r = await runPs(one, { json: true, timeoutMs: 60_000, env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, AZTOKENBRIDGE_ARM_ENDPOINT: "https://nosuchhost.invalid" } });
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.ErrorId).toMatch(/^(ENOTFOUND|EAI_AGAIN),New-AzApiManagementUserToken$/);
    expect(o.Category).toBe("ConnectionError");
    expect(o.Message).toMatch(/^Could not connect to https:\/\/nosuchhost\.invalid: the host name 'nosuchhost\.invalid' could not be resolved \((ENOTFOUND|EAI_AGAIN)\)\./);
  }, 90_000);

  test("a certificate that is not trusted (the emulator's, without NODE_EXTRA_CA_CERTS)", async () => {
    const r = await runPs(one, { json: true, timeoutMs: 60_000, env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, NODE_EXTRA_CA_CERTS: undefined } });
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.ErrorId).toMatch(/^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY),New-AzApiManagementUserToken$/);
    expect(o.Category).toBe("ConnectionError");
    const origin = new URL(emulator.info.armEndpoint).origin.replace(/[.]/g, "\\.");
    expect(o.Message).toMatch(new RegExp(`Could not connect to ${origin}: its TLS certificate is not trusted \\([A-Z_]+\\)\\. .*NODE_EXTRA_CA_CERTS`));
  }, 90_000);
});

describe("-Verbose says where each request went (the server's trace lines, src/azure/retry.ts requestTracePolicy)", () => {
  test("one line per HTTP request with its status, under -Verbose or $VerbosePreference; none without; a refused one says so", async () => {
    const origin = `https://127.0.0.1:${await closedPort()}`;
    const r = await runPs(
      `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$null = New-AzApiManagementUserToken -Context $context -UserId integration -Verbose
[Console]::Out.WriteLine('-- quiet')
$null = New-AzApiManagementUserToken -Context $context -UserId git
[Console]::Out.WriteLine('-- preference')
$VerbosePreference = 'Continue'
$null = New-AzApiManagementUserToken -Context $context -UserId git
$VerbosePreference = 'SilentlyContinue'
[Console]::Out.WriteLine('-- refused')
$env:AZTOKENBRIDGE_ARM_ENDPOINT = '${origin}'
$null = New-AzApiManagementUserToken -Context $context -UserId integration -Verbose -ErrorAction SilentlyContinue`,
      { json: true, timeoutMs: 60_000, env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined } },
    );
    expect(r.errors).toEqual([]);
    // The records in order, split at the markers the script wrote to the console.
    const parts: string[][] = [[]];
    for (const x of r.records) {
      if (x.kind === "host" && /^-- /.test(x.message ?? x.text ?? "")) parts.push([]);
      else if (x.kind === "verbose") parts.at(-1)!.push(x.message);
    }
    expect(parts).toHaveLength(4);
    const arm = emulator.info.armEndpoint.replace(/[.]/g, "\\.");
    const token = new RegExp(`^POST ${arm}/subscriptions/[0-9a-f-]{36}/resourceGroups/powershelltest/providers/Microsoft\\.ApiManagement/service/powershellsdkservice/users/(integration|git)/token\\?api-version=[\\w-]+ → 200 in \\d+ ms$`);
    // The sign-in's requests (Entra ID) then the ARM call.
    expect(parts[0].some((l) => /^POST https:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]{36}\/oauth2\/v2\.0\/token(\?[^ ]*)? → 200 in \d+ ms$/.test(l))).toBe(true);
    expect(parts[0].filter((l) => token.test(l))).toHaveLength(1);
    expect(parts[1].filter((l) => / → /.test(l))).toEqual([]);
    expect(parts[2].filter((l) => token.test(l))).toHaveLength(1);
    expect(parts[3].some((l) => new RegExp(`^POST ${origin.replace(/[.]/g, "\\.")}/subscriptions/.* → no answer \\(ECONNREFUSED\\) after \\d+ ms$`).test(l))).toBe(true);
  }, 90_000);
});
