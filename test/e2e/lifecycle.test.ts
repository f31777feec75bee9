/**
 * The module's lifecycle where pwsh and a careless host differ (issue H):
 * - exit: PowerShell exits within a second of the script's end, whatever the script did with the
 *   module (calls, errors, the emulator left running, ForEach-Object -Parallel, jobs, Ctrl+C), and
 *   the server and the emulator end within 2 s of that. The host closes its primary runspace the
 *   way pwsh does (disposing every other runspace and waiting for their pipelines), so a reader
 *   that cannot be stopped hangs it exactly as it hangs pwsh.
 * - Ctrl+C from a terminal reaches the whole process group: it stops the command only; the server
 *   and the emulator live on and the next call is warm.
 * - -Debug / -Verbose / preference variables never prompt and never break the connection.
 */
import * as fs from "node:fs";
import { EmulatorProcess, startEmulatorProcess } from "../support/emulator";
import { emulatorHttp } from "../support/emulatorHttp";
import { MODULE_MANIFEST, SERVER_BINARY } from "../support/paths";
import { PsProcess, runPs, runPsArgs, spawnPs, spawnPsArgs } from "../support/pwsh";

const IMPORT = `Import-Module '${MODULE_MANIFEST}'`;
/** The variables a developer's session may have: none of them may leak into these runs. */
const CLEAN_ENV = {
  AZTOKENBRIDGE_SERVER: undefined,
  AZURE_TENANT_ID: undefined,
  AZURE_CLIENT_ID: undefined,
  AZURE_CLIENT_SECRET: undefined,
  AZURE_SUBSCRIPTION_ID: undefined,
  AZURE_AUTHORITY_HOST: undefined,
  AZTOKENBRIDGE_ARM_ENDPOINT: undefined,
  NODE_EXTRA_CA_CERTS: undefined,
};

/** The server's and the emulator's process ids, printed as `pids <server> <emulator>`. */
const PRINT_PIDS = `
$server = & (Get-Module AzTokenBridge) { (Get-AzTokenBridgeServer).ProcessId }
[Console]::Out.WriteLine("pids $server $($emu.ProcessId)")`;

function pidsFrom(stdout: string): { server: number; emulator: number }[] {
  return [...stdout.matchAll(/^pids (\d+) (\d+)\s*$/gm)].map((m) => ({ server: Number(m[1]), emulator: Number(m[2]) }));
}

/** Whether a process is alive (a zombie waiting for its parent to reap it counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

async function goneWithin(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Time from the script's last line of output to the host's exit. */
async function exitLatency(run: PsProcess, marker: string): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
  await run.waitForOutput(marker, 90_000);
  const at = Date.now();
  const r = await run.result;
  return { ms: Date.now() - at, code: r.code, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!fs.existsSync(SERVER_BINARY)) throw new Error(`${SERVER_BINARY} is missing: run npm run build first`);
});

describe("exit: PowerShell exits after a script that used the module, and takes the server and the emulator with it", () => {
  test("after calls, an error, -Parallel calls and a job, with the emulator still running", async () => {
    const run = spawnPs(
      `${IMPORT}
$emu = Start-AzTokenBridgeEmulator
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$null = New-AzApiManagementUserToken -Context $context -UserId integration
$null = New-AzApiManagementUserToken -Context $context -UserId nosuchuser -ErrorAction SilentlyContinue
$manifest = '${MODULE_MANIFEST}'
$parallel = 1..3 | ForEach-Object -ThrottleLimit 3 -Parallel {
    Import-Module $using:manifest
    $c = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
    (New-AzApiManagementUserToken -Context $c -UserId integration).UserId
}
$job = 1..2 | ForEach-Object -Parallel {
    Import-Module $using:manifest
    $c = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
    (New-AzApiManagementUserToken -Context $c -UserId integration).UserId
} -AsJob
$fromJob = $job | Wait-Job -Timeout 60 | Receive-Job
[Console]::Out.WriteLine("parallel $($parallel.Count) job $($fromJob.Count)")
${PRINT_PIDS}
[Console]::Out.WriteLine('script-end')`,
      { env: CLEAN_ENV, timeoutMs: 120_000 },
    );
    const r = await exitLatency(run, "script-end");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("parallel 3 job 2");
    const [{ server, emulator }] = pidsFrom(r.stdout);
    expect(r.ms).toBeLessThan(10_000); // generous: a runspace that waits without a timeout keeps pwsh from ever exiting
    expect(await goneWithin([server, emulator], 2000)).toEqual([]);
  }, 150_000);

  test("after a failed call only (the server started, no emulator)", async () => {
    const run = spawnPs(
      `${IMPORT}
$context = New-AzApiManagementContext -ResourceGroupName rg -ServiceName svc
New-AzApiManagementUserToken -Context $context -UserId integration -ErrorAction SilentlyContinue
$server = & (Get-Module AzTokenBridge) { (Get-AzTokenBridgeServer).ProcessId }
[Console]::Out.WriteLine("server $server")
[Console]::Out.WriteLine('script-end')`,
      // No identity anywhere: the call fails in the server (NoAzureIdentity).
      { env: { ...CLEAN_ENV, AZURE_CONFIG_DIR: "/nonexistent", HOME: "/nonexistent" }, timeoutMs: 60_000 },
    );
    const r = await exitLatency(run, "script-end");
    expect(r.code).toBe(0);
    const server = Number(/^server (\d+)/m.exec(r.stdout)![1]);
    expect(r.ms).toBeLessThan(10_000); // generous: a runspace that waits without a timeout keeps pwsh from ever exiting
    expect(await goneWithin([server], 2000)).toEqual([]);
  }, 90_000);

  test("after Ctrl+C during a call (-File: the call stops and PowerShell exits, taking the server and the emulator with it)", async () => {
    const run = spawnPs(
      `${IMPORT}
$emu = Start-AzTokenBridgeEmulator
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$null = New-AzApiManagementUserToken -Context $context -UserId integration
${PRINT_PIDS}
[Console]::Out.WriteLine("emulator $($emu.CaFile) $($emu.ArmEndpoint)")
$null = [Console]::In.ReadLine()
[Console]::Out.WriteLine('calling')
New-AzApiManagementUserToken -Context $context -UserId integration`,
      { env: CLEAN_ENV, timeoutMs: 90_000, detached: true, keepStdinOpen: true },
    );
    await run.waitForOutput(/^emulator \S+ \S+$/m, 60_000);
    // Slow the emulator down so that the last call is in flight when Ctrl+C comes.
    const http = emulatorFrom(run.output().stdout);
    await http.control("PUT", "/latency", { ms: 20000 });
    await http.control("DELETE", "/requests");
    run.child.stdin!.end("go\n");
    await inFlight(run);
    process.kill(-run.child.pid!, "SIGINT"); // as a terminal does: the whole process group
    const at = Date.now();
    const r = await run.result;
    expect(Date.now() - at).toBeLessThan(15_000); // generous: the call in flight has 20 s of latency ahead
    // pwsh -File after Ctrl+C exits 0 or 1 (both seen here, by where the stop lands: the statement or the script); the module does not choose
    expect([0, 1]).toContain(r.code);
    const [{ server, emulator }] = pidsFrom(r.stdout);
    expect(await goneWithin([server, emulator], 2000)).toEqual([]);
  }, 120_000);

  test("process exit (PowerShell killed outright) ends them too: their stdin closes", async () => {
    const run = spawnPs(
      `${IMPORT}
$emu = Start-AzTokenBridgeEmulator
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$null = New-AzApiManagementUserToken -Context $context -UserId integration
${PRINT_PIDS}
while ($true) { [System.Threading.Thread]::Sleep(100) }`,
      { env: CLEAN_ENV, timeoutMs: 60_000 },
    );
    await run.waitForOutput(/^pids /m, 60_000);
    const [{ server, emulator }] = pidsFrom(run.output().stdout);
    run.child.kill("SIGKILL");
    await run.result;
    expect(await goneWithin([server, emulator], 2000)).toEqual([]);
  }, 90_000);

  test("Remove-Module ends the server and the emulator the module started, at once", async () => {
    const r = await runPs(
      `${IMPORT}
$emu = Start-AzTokenBridgeEmulator
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$null = New-AzApiManagementUserToken -Context $context -UserId integration
${PRINT_PIDS}
$server = [System.Diagnostics.Process]::GetProcessById($server)
$emulator = [System.Diagnostics.Process]::GetProcessById($emu.ProcessId)
Remove-Module AzTokenBridge -WarningVariable removed -WarningAction SilentlyContinue
[Console]::Out.WriteLine("gone $($server.WaitForExit(2000)) $($emulator.WaitForExit(2000))")
[Console]::Out.WriteLine("warned: $removed")`,
      { env: CLEAN_ENV, timeoutMs: 60_000 },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("gone True True");
    expect(r.stdout).toMatch(/warned: AzTokenBridge: the module was removed .* so its emulator \(process \d+\) was stopped and the environment variables it set were restored\. Run Start-AzTokenBridgeEmulator again/);
  }, 90_000);

  test("Import-Module -Force stops the emulator and says so; without an emulator, removal says nothing", async () => {
    const r = await runPs(
      `${IMPORT}
Import-Module '${MODULE_MANIFEST}' -Force -WarningVariable quiet
$emu = Start-AzTokenBridgeEmulator
$arm = $env:AZTOKENBRIDGE_ARM_ENDPOINT
$process = [System.Diagnostics.Process]::GetProcessById($emu.ProcessId)
Import-Module '${MODULE_MANIFEST}' -Force -WarningVariable forced -WarningAction SilentlyContinue
[pscustomobject]@{ Quiet = $quiet.Count; Forced = @($forced | ForEach-Object Message); Exited = $process.WaitForExit(2000); ArmBefore = $arm; ArmAfter = $env:AZTOKENBRIDGE_ARM_ENDPOINT }`,
      { env: CLEAN_ENV, timeoutMs: 60_000, json: true },
    );
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.Quiet).toBe(0);
    expect(o.Forced).toHaveLength(1);
    expect(o.Forced[0]).toMatch(/^AzTokenBridge: the module was removed \(Remove-Module, or Import-Module -Force\), so its emulator/);
    expect(o.Exited).toBe(true);
    expect(o.ArmBefore).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(o.ArmAfter ?? "").toBe("");
  }, 90_000);
});

/** Resolves while the script's slow call (20 s of emulator latency) is in flight: it printed
 * `calling` just before making it, and a second later the request is surely out. */
async function inFlight(run: PsProcess): Promise<void> {
  await run.waitForOutput("calling", 30_000);
  await new Promise((r) => setTimeout(r, 1000));
}

/** A control-API client for the emulator a script started (it printed `emulator <caFile> <armEndpoint>`). */
function emulatorFrom(stdout: string) {
  const [, caFile, armEndpoint] = /^emulator (\S+) (\S+)$/m.exec(stdout)!;
  return emulatorHttp({ armEndpoint }, fs.readFileSync(caFile, "utf8"), { agent: false });
}

describe("Ctrl+C from a terminal (SIGINT to the whole process group) stops the command only", () => {
  test("the server and the emulator live on, and the next call is warm: same server, no new sign-in", async () => {
    const run = spawnPsArgs(["-NoProfile", "-NonInteractive", "-Command", "-"], {
      env: CLEAN_ENV,
      timeoutMs: 120_000,
      detached: true,
      keepStdinOpen: true,
      stdin: `${IMPORT}
$emu = Start-AzTokenBridgeEmulator
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$null = New-AzApiManagementUserToken -Context $context -UserId integration
${PRINT_PIDS.trim().replace(/\n/g, "; ")}
[Console]::Out.WriteLine("emulator $($emu.CaFile) $($emu.ArmEndpoint)")
`,
    });
    await run.waitForOutput(/^emulator \S+ \S+$/m, 60_000);
    const http = emulatorFrom(run.output().stdout);
    const [before] = pidsFrom(run.output().stdout);
    await http.control("PUT", "/latency", { ms: 20000 });
    await http.control("DELETE", "/requests");
    run.child.stdin!.write(`[Console]::Out.WriteLine('calling'); try { New-AzApiManagementUserToken -Context $context -UserId integration } finally { [Console]::Out.WriteLine('slow-call-ended') }\n`);
    await inFlight(run); // the slow call is waiting for the emulator: press Ctrl+C
    process.kill(-run.child.pid!, "SIGINT");
    await run.waitForOutput("slow-call-ended", 5000);
    await new Promise((r) => setTimeout(r, 300)); // a dying child would be gone by now
    expect(alive(before.server)).toBe(true);
    expect(alive(before.emulator)).toBe(true);

    await http.control("PUT", "/latency", { ms: 0 });
    await http.control("DELETE", "/requests");
    run.child.stdin!.write(`$t = New-AzApiManagementUserToken -Context $context -UserId integration; [Console]::Out.WriteLine("after $($t.UserId)")
${PRINT_PIDS.trim().replace(/\n/g, "; ")}
`);
    await run.waitForOutput("after integration", 30_000);
    await run.waitForOutput(/^pids[^\n]*\n[\s\S]*^pids/m, 5000);
    // Warm: no token request to Entra ID since the interrupted call, only the ARM call itself.
    const log = await http.requestLog();
    expect(log.map((x) => x.path)).toEqual([expect.stringMatching(/\/users\/integration\/token$/)]);
    run.child.stdin!.end();
    const r = await run.result;
    expect(r.stderr).toBe("");
    expect(r.stdout).not.toMatch(/integration&\d{12}&/); // the stopped call wrote nothing
    const [, after] = pidsFrom(r.stdout);
    expect(after).toEqual(before);
    expect(await goneWithin([before.server, before.emulator], 2000)).toEqual([]);
  }, 150_000);
});

describe("-Debug, -Verbose and the preference variables: trace lines, never a prompt, never a broken connection", () => {
  let emulator: EmulatorProcess;
  beforeAll(async () => {
    emulator = await startEmulatorProcess();
  });
  afterAll(async () => emulator?.stop());

  const CALL = `New-AzApiManagementUserToken -Context $context -UserId integration`;
  const session = (script: string) => `${IMPORT}
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
${script}`;
  const env = () => ({ ...CLEAN_ENV, ...emulator.env });
  const TRACE = /^AzTokenBridge: apim\/newUserToken completed in \d+(\.\d+)? ms\.$/;

  test.each([
    ["-Debug alone: trace lines in the debug stream", `${CALL} -Debug`, { verbose: false, debugTrace: true, payloads: true }],
    ["-Verbose alone", `${CALL} -Verbose`, { verbose: true, debugTrace: false, payloads: false }],
    ["-Verbose -Debug", `${CALL} -Verbose -Debug`, { verbose: true, debugTrace: false, payloads: true }],
    ["$VerbosePreference = 'Continue'", `$VerbosePreference = 'Continue'; ${CALL}`, { verbose: true, debugTrace: false, payloads: false }],
    ["$DebugPreference = 'Continue'", `$DebugPreference = 'Continue'; ${CALL}`, { verbose: false, debugTrace: false, payloads: true }],
  ])("-NonInteractive, %s", async (_name, script, expected) => {
    const r = await runPs(session(script), { json: true, env: env() });
    expect(r.errors).toEqual([]);
    expect(r.objects).toHaveLength(1);
    const verbose = r.records.filter((x) => x.kind === "verbose").map((x) => x.message as string);
    const debug = r.records.filter((x) => x.kind === "debug").map((x) => x.message as string);
    expect(verbose.some((m) => TRACE.test(m))).toBe(expected.verbose);
    expect(debug.some((m) => TRACE.test(m))).toBe(expected.debugTrace);
    expect(debug.some((m) => m.includes('"method":"apim/newUserToken"'))).toBe(expected.payloads);
    const streams = JSON.stringify(r.records.filter((x) => x.kind !== "object"));
    expect(streams).not.toContain(emulator.info.clientSecret);
    expect(streams).not.toContain((r.objects[0].UserToken as string).split("&")[2]);
  });

  test("interactive (no -NonInteractive): -Debug alone prompts nowhere and shows the trace", async () => {
    // Prompts in an interactive host read stdin; here stdin is empty, so a prompt would also fail the call.
    const r = await runPsArgs(["-NoProfile", "-Command", session(`${CALL} -Debug`)], { env: env(), timeoutMs: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/Continue with this operation/);
    expect(r.stdout).toMatch(/^DEBUG: AzTokenBridge: apim\/newUserToken completed in/m);
    expect(r.stdout).toMatch(/^integration\s+.+Primary\s+integration&\d{12}&/m);
  });

  test("a Write* that throws (an Inquire prompt under -NonInteractive) fails that call only; the connection stays whole", async () => {
    const r = await runPs(
      session(`$VerbosePreference = 'Inquire'
try { ${CALL} -ErrorAction Stop } catch { [pscustomobject]@{ Failed = $_.Exception.Message } }
$VerbosePreference = 'SilentlyContinue'
$conn = & (Get-Module AzTokenBridge) { Get-AzTokenBridgeServer }
$first = $conn.ProcessId
[pscustomobject]@{ Alive = $conn.IsAlive; Pending = $conn.PendingCount }
${CALL}
[pscustomobject]@{ SameServer = $first -eq (& (Get-Module AzTokenBridge) { (Get-AzTokenBridgeServer).ProcessId }) }`),
      { json: true, env: env() },
    );
    expect(r.errors).toEqual([]);
    const [failed, conn, token, same] = r.objects;
    expect(failed.Failed).toMatch(/NonInteractive mode/);
    expect(conn).toMatchObject({ Alive: true, Pending: 0 });
    expect(token.UserId).toBe("integration");
    expect(same.SameServer).toBe(true);
  });

  test("a stop while the server is starting leaves no orphan and the next call starts a clean one", async () => {
    // Ctrl+C lands at once, while the first call is still starting the server.
    const run = spawnPsArgs(["-NoProfile", "-NonInteractive", "-Command", "-"], {
      env: env(),
      timeoutMs: 60_000,
      keepStdinOpen: true,
      stdin: `${IMPORT}\n$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice\n[Console]::Out.WriteLine('ready')\n`,
    });
    await run.waitForOutput("ready", 30_000);
    run.child.stdin!.write(`[Console]::Out.WriteLine('calling'); ${CALL}\n`);
    await run.waitForOutput("calling", 10_000);
    await new Promise((r) => setTimeout(r, 40));
    run.child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 500));
    run.child.stdin!.write(`$t = ${CALL}; [Console]::Out.WriteLine("after $($t.UserId)")\n`);
    await run.waitForOutput("after integration", 30_000);
    expect(serverChildren(run.child.pid!)).toHaveLength(1);
    run.child.stdin!.end();
    const r = await run.result;
    expect(r.stderr).toBe("");
  });
});

/** The live server processes whose parent is `pid` (Linux /proc). */
function serverChildren(pid: number): number[] {
  const found: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      if (Number(ppid) === pid && state !== "Z" && cmd[0] === SERVER_BINARY && cmd.length <= 2) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
