/**
 * Runs PowerShell scripts for the e2e tests through the project's own host (test/pshost, built by
 * `npm run build`), which behaves like `pwsh -NoProfile -NonInteractive` and can also write every
 * record as one JSON line (`-OutputFormat Json`, see test/pshost/Json.cs for the record shapes).
 *
 *   const r = await runPs("Import-Module $env:MOD; Get-Thing", { json: true, env: { MOD: manifest } });
 *   expect(r.code).toBe(0);
 *   expect(r.objects[0].Name).toBe("x");
 *
 * With `useRealPwsh: true` and `pwsh` on PATH, the script runs in pwsh instead (text output only:
 * pwsh has neither `-OutputFormat Json` nor `-Width`).
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "./paths";

/** The host binary built by `npm run build` (dotnet publish test/pshost/pshost.csproj -o test/pshost/out). */
export const PSHOST = path.join(ROOT, "test", "pshost", "out", process.platform === "win32" ? "pshost.exe" : "pshost");

export interface PsOptions {
  /** `-OutputFormat Json`: parse stdout into `records` / `objects` / `errors`. Host only. */
  json?: boolean;
  /** Merged over process.env; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the process (SIGKILL) and reject after this long. Default 30 s. */
  timeoutMs?: number;
  /** `-Width N`: the console width the formatting engine uses (the host's default is 120). Host only. */
  width?: number;
  /** Arguments after `-File script.ps1` (bound to the script's `param()` like pwsh does). */
  args?: string[];
  /** Run in `pwsh` when it is on PATH (else in the host). */
  useRealPwsh?: boolean;
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
  /** With `json`: every JSON line of stdout, parsed (other lines are skipped). */
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

let pwshOnPath: boolean | undefined;

/** Whether `pwsh` is on PATH. */
export function hasPwsh(): boolean {
  if (pwshOnPath === undefined) {
    const names = process.platform === "win32" ? ["pwsh.exe"] : ["pwsh"];
    pwshOnPath = (process.env.PATH ?? "").split(path.delimiter).some((dir) =>
      names.some((name) => {
        if (!dir) return false;
        try {
          fs.accessSync(path.join(dir, name), fs.constants.X_OK);
          return fs.statSync(path.join(dir, name)).isFile();
        } catch {
          return false;
        }
      }),
    );
  }
  return pwshOnPath;
}

/** Throws a clear error when the host has not been built. */
export function assertHostBuilt(): void {
  if (!fs.existsSync(PSHOST)) {
    throw new Error(`The PowerShell test host is not built: ${PSHOST} is missing. Run \`npm run build\` first.`);
  }
}

/** Runs `script` (written to a temporary .ps1) with `-NoProfile -NonInteractive [-OutputFormat Json] [-Width N] -File`. */
export function runPs(script: string, opts: PsOptions = {}): Promise<PsResult> {
  try {
    return spawnPs(script, opts).result;
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Like runPs, but returns the child at once, for tests that signal it mid-run. */
export function spawnPs(script: string, opts: PsOptions = {}): PsProcess {
  const usePwsh = !!opts.useRealPwsh && hasPwsh();
  if (opts.json && usePwsh) throw new Error("runPs: `json` needs the project's host; pwsh has no -OutputFormat Json.");
  if (!usePwsh) assertHostBuilt();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pshost-"));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const file = path.join(dir, "script.ps1");
    fs.writeFileSync(file, script, "utf8");
    const args = ["-NoProfile", "-NonInteractive"];
    if (opts.json) args.push("-OutputFormat", "Json");
    if (opts.width !== undefined && !usePwsh) args.push("-Width", String(opts.width));
    args.push("-File", file, ...(opts.args ?? []));
    const proc = start(usePwsh ? "pwsh" : PSHOST, args, opts);
    proc.result.then(cleanup, cleanup);
    return proc;
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** Runs the host (or pwsh with `useRealPwsh`) with exactly these arguments, e.g. `["-Command", "-"]`. */
export function runPsArgs(args: string[], opts: PsOptions = {}): Promise<PsResult> {
  try {
    return spawnPsArgs(args, opts).result;
  } catch (err) {
    return Promise.reject(err);
  }
}

export function spawnPsArgs(args: string[], opts: PsOptions = {}): PsProcess {
  const usePwsh = !!opts.useRealPwsh && hasPwsh();
  return start(usePwsh ? "pwsh" : PSHOST, args, opts);
}

function start(exe: string, args: string[], opts: PsOptions): PsProcess {
  if (exe === PSHOST) assertHostBuilt();
  const env: Record<string, string | undefined> = { ...process.env };
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
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      // not a record (the script wrote to stdout by other means)
    }
  }
  return records;
}
