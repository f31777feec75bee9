/**
 * Runs PowerShell scripts for the e2e tests in the real pwsh: `pwsh` on PATH, or the one the build
 * makes from NuGet's Microsoft.PowerShell.SDK (test/pwsh; src/build/build.mjs passes its path in
 * AZTOKENBRIDGE_TEST_PWSH), always as `pwsh -NoProfile -NonInteractive -File script.ps1`.
 *
 *   const r = await runPs("Import-Module $env:MOD; Get-Thing", { json: true, env: { MOD: manifest } });
 *   expect(r.code).toBe(0);
 *   expect(r.objects[0].Name).toBe("x");
 *
 * With `json: true` the script runs under test/support/Invoke-TestScript.ps1, which writes every
 * record it produced (objects, errors, warnings, verbose, debug, information) as a JSON line; what
 * pwsh itself wrote to the console (Out-Default, -WhatIf, [Console]::Out) comes as "host" records,
 * one per line.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "./paths";

/** The pwsh the tests run in (see the top of this file). */
export const PWSH = resolvePwsh();

function resolvePwsh(): string {
  if (process.env.AZTOKENBRIDGE_TEST_PWSH) return process.env.AZTOKENBRIDGE_TEST_PWSH;
  const probe = spawnSync(process.platform === "win32" ? "where" : "which", ["pwsh"], { encoding: "utf8" });
  if (probe.status === 0 && probe.stdout.trim()) return probe.stdout.trim().split(/\r?\n/)[0];
  return path.join(ROOT, "test", "pwsh", "out", process.platform === "win32" ? "pwsh.exe" : "pwsh");
}

const WRAPPER = path.join(ROOT, "test", "support", "Invoke-TestScript.ps1");
const RECORD = "\u001e";

export interface PsOptions {
  /** Run under Invoke-TestScript.ps1: parse stdout into `records` / `objects` / `errors`. */
  json?: boolean;
  /** Merged over process.env; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the process (SIGKILL) and reject after this long. Default 30 s. */
  timeoutMs?: number;
  /** Written to the process's stdin, which is then closed (unless `keepStdinOpen`). */
  stdin?: string;
  /** Leave stdin open after `stdin` was written: the test writes more (`child.stdin.write`) and ends it. */
  keepStdinOpen?: boolean;
  /** Start the process in a process group of its own (setsid), so that a test can signal the whole group
   * (`process.kill(-pid, "SIGINT")`), as a terminal does on Ctrl+C. */
  detached?: boolean;
}

export interface PsResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** With `json`: every record of stdout, parsed; lines pwsh wrote itself are {kind: "host", text}. */
  records: any[];
  /** With `json`: the `value` of each `{"kind":"object"}` record. */
  objects: any[];
  /** With `json`: the `{"kind":"error"}` records. */
  errors: any[];
}

export interface PsProcess {
  child: ChildProcess;
  /** Settles when the process exits; rejects on timeout (with the output so far in the message). */
  result: Promise<PsResult>;
  /** Resolves once stdout or stderr matches; rejects on timeout or if the process exits first. */
  waitForOutput(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** What the process has printed so far. */
  output(): { stdout: string; stderr: string };
}

/** Throws a clear error when there is no pwsh to run. */
export function assertPwsh(): void {
  if (!fs.existsSync(PWSH)) {
    throw new Error(`No pwsh: ${PWSH} is missing. Run \`npm run build\` (it builds pwsh from NuGet when none is on PATH).`);
  }
}

/** Runs `script` (written to a temporary .ps1) as `pwsh -NoProfile -NonInteractive -File`. */
export function runPs(script: string, opts: PsOptions = {}): Promise<PsResult> {
  try {
    return spawnPs(script, opts).result;
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Like runPs, but returns the child at once, for tests that signal it mid-run. */
export function spawnPs(script: string, opts: PsOptions = {}): PsProcess {
  assertPwsh();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-ps-"));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const file = path.join(dir, "script.ps1");
    fs.writeFileSync(file, script, "utf8");
    const args = ["-NoProfile", "-NonInteractive", "-File", ...(opts.json ? [WRAPPER, file] : [file])];
    const proc = start(PWSH, args, opts);
    proc.result.then(cleanup, cleanup);
    return proc;
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** Runs pwsh with exactly these arguments, e.g. `["-NoProfile", "-Command", "-"]`. */
export function runPsArgs(args: string[], opts: PsOptions = {}): Promise<PsResult> {
  try {
    return spawnPsArgs(args, opts).result;
  } catch (err) {
    return Promise.reject(err);
  }
}

export function spawnPsArgs(args: string[], opts: PsOptions = {}): PsProcess {
  assertPwsh();
  return start(PWSH, args, opts);
}

function start(exe: string, args: string[], opts: PsOptions): PsProcess {
  // NO_COLOR: pwsh writes formatted output without ANSI colours (PSStyle.OutputRendering PlainText),
  // as the tests read text. A test may set it otherwise in `env`.
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const child = spawn(exe, args, { cwd: opts.cwd, env, stdio: ["pipe", "pipe", "pipe"], detached: !!opts.detached });
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdin!.on("error", () => {}); // the process may exit before reading its stdin
  if (opts.keepStdinOpen) child.stdin!.write(opts.stdin ?? "");
  else child.stdin!.end(opts.stdin ?? "");

  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());
  child.stdout!.on("data", (d: string) => {
    stdout += d;
    changed();
  });
  child.stderr!.on("data", (d: string) => {
    stderr += d;
    changed();
  });
  const describe = () => `${exe} ${args.join(" ")}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;

  let exited = false;
  const result = new Promise<PsResult>((resolve, reject) => {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      if (opts.detached && child.pid) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // the group is gone already
        }
      }
      child.kill("SIGKILL");
      reject(new Error(`PowerShell did not finish within ${timeoutMs} ms (killed).\n${describe()}`));
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`Could not start ${exe}: ${err.message}`));
    });
    // "close" (not "exit"): all output has been read by then.
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      exited = true;
      changed();
      const records = opts.json ? parseRecords(stdout) : [];
      resolve({
        code,
        signal,
        stdout,
        stderr,
        records,
        objects: records.filter((r) => r.kind === "object").map((r) => r.value),
        errors: records.filter((r) => r.kind === "error"),
      });
    });
  });
  // A test that only uses waitForOutput must not see an unhandled rejection from `result`.
  result.catch(() => {});

  function waitForOutput(pattern: RegExp | string, timeoutMs = 15_000): Promise<void> {
    const matches = () => (typeof pattern === "string" ? stdout.includes(pattern) || stderr.includes(pattern) : pattern.test(stdout) || pattern.test(stderr));
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (matches()) done(resolve);
        else if (exited) done(() => reject(new Error(`PowerShell exited before printing ${pattern}.\n${describe()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`No ${pattern} within ${timeoutMs} ms.\n${describe()}`))), timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });
  }

  return { child, result, waitForOutput, output: () => ({ stdout, stderr }) };
}

function parseRecords(stdout: string): any[] {
  const records: any[] = [];
  const lines = stdout.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (const raw of lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.startsWith(RECORD)) records.push(JSON.parse(line.slice(1)));
    else records.push({ kind: "host", text: line });
  }
  return records;
}
