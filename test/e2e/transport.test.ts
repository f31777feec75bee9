/**
 * The transport under faults (issue E): a server that stops answering, a truncated frame, a frame
 * whose Content-Length is wrong, a server that is slow but alive. A stand-in server
 * (test/support/standin-server.js, through AZTOKENBRIDGE_SERVER) runs the real server behind it and
 * misbehaves on purpose.
 *
 * What must hold: a clear error after the timeout (AZTOKENBRIDGE_TIMEOUT_SECONDS, 2 s here), every
 * call in flight failing with the same message naming the cause, the stand-in (and the real server
 * behind it) gone, the next call starting a new server and succeeding; and a slow call on a server
 * that answers the liveness probe (bridge/hello) is never cut short.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST, ROOT } from "../support/paths";
import { runPs } from "../support/pwsh";
import { alive, gone } from "../support/processes";

const STAND_IN = path.join(ROOT, "test", "support", "standin-server.js");
const TIMEOUT_S = 2;

let emulator: EmulatorProcess;
const started: number[] = [];

useEmulator((e) => (emulator = e));
afterEach(() => {
  // A failed test must not leave a hung stand-in behind.
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
});


interface StandIn {
  command: string;
  /** The stand-in's pid and the real server's behind it, from every stand-in started with this dir. */
  pids(): number[];
  /** The messages the module sent: methods in order. */
  methods(): string[];
}

function standIn(mode: string, opts: { after?: number; delayMs?: number } = {}): StandIn {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `aztb-${mode}-`));
  return {
    command: `node ${STAND_IN} ${mode} ${dir} ${opts.after ?? 0} ${opts.delayMs ?? 4000}`,
    pids: () => {
      const file = path.join(dir, "pid");
      const pids = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split(" ").map(Number) : [];
      started.push(...pids);
      return pids;
    },
    methods: () => {
      const file = path.join(dir, "log");
      return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").map((l) => l.split(" ")[1]) : [];
    },
  };
}

const env = (s: StandIn, extra: Record<string, string | undefined> = {}) => ({
  ...emulator.env,
  AZTOKENBRIDGE_SERVER: s.command,
  AZTOKENBRIDGE_TIMEOUT_SECONDS: String(TIMEOUT_S),
  ...extra,
});

/**
 * One call through the stand-in that fails, then (the real server) one that succeeds. Emits the
 * failure, how long it took, whether the old server process had exited when the error came, and
 * the second call's result.
 */
const failThenRecover = `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$m = Get-Module AzTokenBridge
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$null = New-AzApiManagementUserToken -Context $context -UserId integration -ErrorVariable failed -ErrorAction SilentlyContinue
$seconds = $sw.Elapsed.TotalSeconds
$old = & $m { Get-AzTokenBridgeServer }
$oldExited = $old.HasExited
$env:AZTOKENBRIDGE_SERVER = $null
$t = New-AzApiManagementUserToken -Context $context -UserId integration
[pscustomobject]@{
    Seconds   = $seconds
    Errors    = $failed.Count
    ErrorId   = $failed[0].FullyQualifiedErrorId
    Category  = $failed[0].CategoryInfo.Category.ToString()
    Message   = $failed[0].Exception.Message
    Target    = $failed[0].TargetObject
    OldPid    = $old.ProcessId
    OldExited = $oldExited
    After     = $t.UserId
    NewPid    = & $m { (Get-AzTokenBridgeServer).ProcessId }
}`;

/** Runs failThenRecover on a stand-in: its summary, after checking the one call failed as a lost connection. */
async function failOnce(s: StandIn) {
  const r = await runPs(failThenRecover, { json: true, timeoutMs: 60_000, env: env(s) });
  expect(r.errors).toEqual([]);
  const o = r.objects.at(-1);
  expect(o.Errors).toBe(1);
  expect(o.ErrorId).toBe("AzTokenBridgeServerExited,New-AzApiManagementUserToken");
  return o;
}

describe("a server that stops answering (AZTOKENBRIDGE_TIMEOUT_SECONDS)", () => {
  test("it takes the request and answers nothing, not even the probe: a clear error after the timeout; it is killed; the next call works", async () => {
    const s = standIn("stall");
    const o = await failOnce(s);
    expect(o.Category).toBe("ConnectionError");
    expect(o.Target).toBe("integration");
    expect(o.Message).toMatch(
      new RegExp(`^The AzTokenBridge server \\(process ${o.OldPid}\\) did not answer for ${TIMEOUT_S} s: a request was waiting, and a liveness check \\(bridge/hello\\) got no answer\\. The connection was reset`),
    );
    expect(o.Message).toMatch(/AZTOKENBRIDGE_TIMEOUT_SECONDS/);
    // Not before the timeout; not much after it (a probe after 1 s of silence, then 2 s for its answer).
    expect(o.Seconds).toBeGreaterThanOrEqual(TIMEOUT_S);
    expect(o.Seconds).toBeLessThan(TIMEOUT_S + 20); // generous: without the timeout it would hang
    // The probe was sent, once.
    expect(s.methods()).toEqual(["apim/newUserToken", "bridge/hello"]);
    // Killed before the error was written; the real server behind it is gone too.
    expect(o.OldExited).toBe(true);
    const [pid, inner] = s.pids();
    expect(pid).toBe(o.OldPid);
    expect(await gone([pid, inner])).toBe(true);
    expect(o.After).toBe("integration");
    expect(o.NewPid).not.toBe(o.OldPid);
  }, 90_000);

  test.each([
    ["truncate", "a truncated frame (half of the body the header announces), then silence"],
    ["long", "a Content-Length larger than the body, then silence"],
  ])("%s: %s: a clear error after the timeout; the connection is reset; the next call works", async (mode) => {
    const s = standIn(mode);
    const o = await failOnce(s);
    expect(o.Message).toMatch(
      new RegExp(
        `^The AzTokenBridge server \\(process ${o.OldPid}\\) did not answer for ${TIMEOUT_S} s: it wrote part of a message \\(\\d+ of its \\d+ bytes\\) and then nothing more\\. The connection was reset`,
      ),
    );
    expect(o.Seconds).toBeGreaterThanOrEqual(TIMEOUT_S);
    expect(o.Seconds).toBeLessThan(TIMEOUT_S + 20); // generous: without the timeout it would hang
    expect(o.OldExited).toBe(true);
    expect(await gone(s.pids())).toBe(true);
    expect(o.After).toBe("integration");
  }, 90_000);

  test("a Content-Length smaller than the body: the message is not JSON, a clear error at once; the connection is reset; the next call works", async () => {
    const s = standIn("short");
    const o = await failOnce(s);
    expect(o.Message).toMatch(
      new RegExp(`^The connection to the AzTokenBridge server \\(process ${o.OldPid}\\) failed: The server sent a frame that is not valid JSON \\(its Content-Length, \\d+, may be wrong\\): '\\{"jsonrpc"`),
    );
    expect(o.OldExited).toBe(true); // (at once: the message is the frame's, not the timeout's)
    expect(await gone(s.pids())).toBe(true);
    expect(o.After).toBe("integration");
  }, 90_000);

  test("a slow answer from a server that answers the probe: the call succeeds, however long past the timeout", async () => {
    const s = standIn("slow", { delayMs: 5000 });
    const r = await runPs(
      `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$m = Get-Module AzTokenBridge
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$t = New-AzApiManagementUserToken -Context $context -UserId integration
[pscustomobject]@{ Seconds = $sw.Elapsed.TotalSeconds; UserId = $t.UserId; Pid = & $m { (Get-AzTokenBridgeServer).ProcessId } }`,
      { json: true, timeoutMs: 60_000, env: env(s) },
    );
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.UserId).toBe("integration");
    expect(o.Seconds).toBeGreaterThanOrEqual(5);
    // The same server all along, probed (and answering) while the call waited.
    expect(o.Pid).toBe(s.pids()[0]);
    const methods = s.methods();
    expect(methods[0]).toBe("apim/newUserToken");
    expect(methods.filter((x) => x === "bridge/hello").length).toBeGreaterThanOrEqual(2);
  }, 90_000);

  test("a piped batch in flight when the server stalls: every input in flight fails with the same message, in order; nothing hangs", async () => {
    const s = standIn("stall", { after: 3 });
    const r = await runPs(
      `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$users = @(Get-AzApiManagementUser -Context $context | ForEach-Object UserId)[0..9]
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$tokens = $users | ForEach-Object { [pscustomobject]@{ UserId = $_ } } | New-AzApiManagementUserToken -Context $context -ThrottleLimit 16 -ErrorVariable failed -ErrorAction SilentlyContinue
[pscustomobject]@{
    Seconds  = $sw.Elapsed.TotalSeconds
    Users    = $users
    Tokens   = @($tokens | ForEach-Object UserId)
    ErrorIds = @($failed | ForEach-Object FullyQualifiedErrorId)
    Messages = @($failed | ForEach-Object { $_.Exception.Message })
    Targets  = @($failed | ForEach-Object TargetObject)
}`,
      // Get-AzApiManagementUser and the first two tokens are answered; then the server hangs.
      { json: true, timeoutMs: 60_000, env: env(s) },
    );
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.Tokens).toEqual(o.Users.slice(0, 2));
    expect(o.Targets).toEqual(o.Users.slice(2));
    expect(o.ErrorIds).toEqual(Array(8).fill("AzTokenBridgeServerExited,New-AzApiManagementUserToken"));
    expect(new Set(o.Messages).size).toBe(1);
    expect(o.Messages[0]).toMatch(/^The AzTokenBridge server \(process \d+\) did not answer for 2 s: a request was waiting/);
    expect(o.Seconds).toBeLessThan(TIMEOUT_S + 20); // generous: without the timeout it would hang
    expect(await gone(s.pids())).toBe(true);
  }, 90_000);
});
