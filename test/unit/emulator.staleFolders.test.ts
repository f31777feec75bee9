/**
 * Temp folders of emulators killed with SIGKILL (issue R, item 3): the folder (CA file,
 * client-certificate.pem with its private key) stays; the next emulator removes it when it starts,
 * and any emulator when it stops (Stop-AzTokenBridgeEmulator closes its stdin). Only this program's
 * folders, of the current user, whose pid is dead; never a live emulator's.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { removeStaleEmulatorFolders } from "../../src/emulator/staleFolders";
import { SERVER_BINARY } from "../support/paths";

interface EmulatorProcess {
  child: ChildProcess;
  info: { caFile: string };
}

/** The packaged emulator with TMPDIR set (jest's process.env is not the one children inherit). */
function startEmulatorProcess(): Promise<EmulatorProcess> {
  const child = spawn(SERVER_BINARY, ["emulator"], { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, TMPDIR: tmp } });
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d) => {
      buf += d;
      if (buf.includes("\n")) resolve({ child, info: JSON.parse(buf.slice(0, buf.indexOf("\n"))) });
    });
    child.once("exit", (code) => reject(new Error(`emulator exited (${code})`)));
    child.stdin!.on("error", () => {});
  });
}

let tmp: string;
const savedTmpdir = process.env.TMPDIR;

beforeAll(() => {
  // Every emulator of this file (the children inherit it) makes its folder here.
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "aztb-stale-")));
  process.env.TMPDIR = tmp;
});
afterAll(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function kill(e: EmulatorProcess): Promise<void> {
  if (e.child.exitCode !== null || e.child.signalCode !== null) return;
  const exited = new Promise((resolve) => e.child.once("exit", resolve));
  e.child.kill("SIGKILL");
  await exited;
}

/** A pid no process has now: a child that has exited. */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!;

test("a SIGKILLed emulator's folder (with its private key) is removed by the next start, a live one's kept; the rest at a stop", async () => {
  const a = await startEmulatorProcess();
  const b = await startEmulatorProcess();
  let c: EmulatorProcess | undefined;
  const aDir = path.dirname(a.info.caFile);
  const bDir = path.dirname(b.info.caFile);
  try {
    expect(path.dirname(aDir)).toBe(tmp);
    expect(fs.readFileSync(path.join(aDir, "client-certificate.pem"), "utf8")).toMatch(/PRIVATE KEY/);
    await kill(a);
    expect(fs.existsSync(path.join(aDir, "client-certificate.pem"))).toBe(true); // left behind by SIGKILL

    c = await startEmulatorProcess();
    expect(fs.existsSync(aDir)).toBe(false);
    expect(fs.existsSync(path.join(bDir, "client-certificate.pem"))).toBe(true); // b is alive
    expect(fs.existsSync(path.dirname(c.info.caFile))).toBe(true);

    await kill(b);
    // What Stop-AzTokenBridgeEmulator does: close the emulator's stdin; it stops.
    const exited = new Promise((resolve) => c!.child.once("exit", resolve));
    c.child.stdin!.end();
    await exited;
    expect(fs.existsSync(bDir)).toBe(false);
    expect(fs.existsSync(path.dirname(c.info.caFile))).toBe(false);
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith("aztokenbridge-emulator-"))).toEqual([]);
  } finally {
    await kill(a);
    await kill(b);
    if (c) await kill(c);
  }
}, 60_000);

describe("only folders this program made, of this user, whose emulator is gone", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmp, "sweep-"));
  });

  const mk = (name: string) => {
    const p = path.join(dir, name);
    fs.mkdirSync(p, { mode: 0o700 });
    fs.writeFileSync(path.join(p, "client-certificate.pem"), "key", { mode: 0o600 });
    return p;
  };

  test("dead pid: removed; live pid, other names, old names without a pid, files and symbolic links: kept", async () => {
    const dead = deadPid();
    const stale = mk(`aztokenbridge-emulator-${dead}-AbC123`);
    const live = mk(`aztokenbridge-emulator-${process.ppid}-AbC123`);
    const old = mk("aztokenbridge-emulator-AbC123");
    const other = mk(`someone-else-${dead}-AbC123`);
    const longer = mk(`aztokenbridge-emulator-${dead}-AbC123-x`);
    const file = path.join(dir, `aztokenbridge-emulator-${dead}-file01`);
    fs.writeFileSync(file, "x");
    const target = mk("target");
    const link = path.join(dir, `aztokenbridge-emulator-${dead}-link01`);
    fs.symlinkSync(target, link);

    expect(await removeStaleEmulatorFolders(dir)).toEqual([stale]);
    for (const kept of [live, old, other, longer, target]) expect(fs.existsSync(path.join(kept, "client-certificate.pem"))).toBe(true);
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
  });

  test("a dead emulator's folder of another user is kept", async () => {
    if (process.getuid?.() !== 0) return; // only root can give a folder away
    const theirs = mk(`aztokenbridge-emulator-${deadPid()}-Other1`);
    fs.chownSync(theirs, 65534, 65534);
    expect(await removeStaleEmulatorFolders(dir)).toEqual([]);
    expect(fs.existsSync(theirs)).toBe(true);
  });

  test("a pid of another user's live process (EPERM) counts as alive", async () => {
    const kept = mk(`aztokenbridge-emulator-${deadPid()}-Eperm1`);
    const alive = jest.fn(() => true);
    expect(await removeStaleEmulatorFolders(dir, alive)).toEqual([]);
    expect(alive).toHaveBeenCalled();
    expect(fs.existsSync(kept)).toBe(true);
  });
});
