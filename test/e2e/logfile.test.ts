/**
 * AZTOKENBRIDGE_LOG_FILE that others could read (issue R, item 4): the server refuses an existing
 * file with group or other permissions, a symbolic link or anything but a regular file, writes
 * nothing to it, and says so; the module shows what the server said about its settings as a warning
 * on the first call (module/Client/ServerConnection.cs keeps the line, CallWindow.cs shows it). The call
 * itself works.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST } from "../support/paths";
import { runPs } from "../support/pwsh";

let emulator: EmulatorProcess;
let dir: string;

useEmulator((e) => (emulator = e));
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-logfile-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const script = `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$t = New-AzApiManagementUserToken -Context $context -UserId integration
$t2 = New-AzApiManagementUserToken -Context $context -UserId integration
[pscustomobject]@{ User = $t.UserId; User2 = $t2.UserId }`;

async function run(file: string) {
  const r = await runPs(script, {
    json: true,
    timeoutMs: 60_000,
    env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, AZTOKENBRIDGE_LOG_LEVEL: "verbose", AZTOKENBRIDGE_LOG_FILE: file },
  });
  expect(r.errors).toEqual([]);
  expect(r.objects.at(-1)).toMatchObject({ User: "integration", User2: "integration" });
  return r.records.filter((x) => x.kind === "warning").map((x) => x.message as string);
}

test("an existing world-readable log file: nothing is appended; one warning names the file and its mode", async () => {
  const file = path.join(dir, "server.log");
  fs.writeFileSync(file, "before\n");
  fs.chmodSync(file, 0o644);
  const warnings = await run(file);
  expect(fs.readFileSync(file, "utf8")).toBe("before\n");
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(
    new RegExp(`^AzTokenBridge server \\(process \\d+\\): AZTOKENBRIDGE_LOG_FILE: refused the log file ${file.replace(/[.]/g, "\\.")}: its mode is 644: others than its owner can access it .*Nothing is logged to it`),
  );
}, 90_000);

test("a symbolic link to a private file: not followed, nothing written through it; a warning says why", async () => {
  const target = path.join(dir, "target.log");
  fs.writeFileSync(target, "", { mode: 0o600 });
  const link = path.join(dir, "link.log");
  fs.symlinkSync(target, link);
  const warnings = await run(link);
  expect(fs.readFileSync(target, "utf8")).toBe("");
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/AZTOKENBRIDGE_LOG_FILE: refused the log file .*link\.log: it is a symbolic link/);
}, 90_000);

test("a private (0600) file, or a new one: logged to, no warning", async () => {
  const file = path.join(dir, "private.log");
  fs.writeFileSync(file, "before\n", { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  expect(await run(file)).toEqual([]);
  expect(fs.readFileSync(file, "utf8")).toMatch(/^before\n.* info: server .* started/);
  const fresh = path.join(dir, "new.log");
  expect(await run(fresh)).toEqual([]);
  expect(fs.statSync(fresh).mode & 0o777).toBe(0o600);
}, 90_000);
