#!/usr/bin/env node
/**
 * Startup and per-call benchmark of the module, with a report. Run through `npm run bench`
 * (which builds first) or `node src/build/build.mjs bench [--runs N] [--warm N]`.
 *
 * Each run is a fresh PowerShell process (pwsh when on PATH, else the project's host) running
 * test/bench/startup.ps1 against one emulator started here with no added latency, so the figures
 * are the module's, the server's and the local HTTPS round trip's — not Azure's. Also timed from
 * here: the whole process (spawn to exit), which includes the PowerShell engine's own start.
 *
 * The report goes to stdout and to bench-results/startup-<timestamp>.md. Figures are comparable
 * only within one report (same machine, same run).
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const RUNS = opt("runs", 5);
const WARM = opt("warm", 50);

const rid = `${process.platform === "win32" ? "win" : process.platform === "darwin" ? "osx" : "linux"}-${process.arch}`;
const server = path.join(ROOT, "module", "bin", rid, process.platform === "win32" ? "aztokenbridge.exe" : "aztokenbridge");
const hasPwsh = spawnSync(process.platform === "win32" ? "where" : "which", ["pwsh"]).status === 0;
const shell = hasPwsh ? "pwsh" : path.join(ROOT, "test", "pshost", "out", process.platform === "win32" ? "pshost.exe" : "pshost");

function startEmulator() {
  return new Promise((resolve, reject) => {
    const child = spawn(server, ["emulator"], { stdio: ["pipe", "pipe", "inherit"] });
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolve({ child, info: JSON.parse(buf.slice(0, nl)) });
    });
    child.on("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
  });
}

function sample(env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(shell, ["-NoProfile", "-NonInteractive", "-File", path.join(ROOT, "test", "bench", "startup.ps1"), "-WarmCalls", String(WARM)], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => {
      const processMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`benchmark script failed (${code}): ${err}${out}`));
      const line = out.trim().split("\n").pop();
      resolve({ processMs, ...JSON.parse(line) });
    });
  });
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  return { n: s.length, min: s[0], median: q(0.5), p90: q(0.9), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
};
const f = (x) => x.toFixed(1);
const row = (name, st) => `| ${name} | ${st.n} | ${f(st.min)} | ${f(st.median)} | ${f(st.p90)} | ${f(st.max)} | ${f(st.mean)} |`;

const { child: emu, info } = await startEmulator();
try {
  const env = {
    AZURE_TENANT_ID: info.tenantId,
    AZURE_CLIENT_ID: info.clientId,
    AZURE_CLIENT_SECRET: info.clientSecret,
    AZURE_SUBSCRIPTION_ID: info.subscriptionId,
    AZURE_AUTHORITY_HOST: info.authorityHost,
    AZTOKENBRIDGE_ARM_ENDPOINT: info.armEndpoint,
    NODE_EXTRA_CA_CERTS: info.caFile,
    AZTOKENBRIDGE_SERVER: "",
  };
  await sample(env); // warm the OS file cache; not reported
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push(await sample(env));
  const lines = [
    `# AzTokenBridge startup and call benchmark`,
    ``,
    `${new Date().toISOString()} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"} · ${os.platform()} ${os.release()} · PowerShell: ${hasPwsh ? "pwsh" : "test/pshost (SMA 7.6.9)"} · server: ${path.relative(ROOT, server)}`,
    ``,
    `${RUNS} fresh PowerShell processes (after one unreported warm-up run), each: Import-Module, one cold`,
    `New-AzApiManagementUserToken (starts the server, signs in to the emulator's Entra ID, calls ARM), then`,
    `${WARM} warm calls in a row. Emulator on 127.0.0.1 with no added latency. Milliseconds.`,
    ``,
    `| measure | n | min | median | p90 | max | mean |`,
    `| --- | --- | --- | --- | --- | --- | --- |`,
    row("Import-Module", stats(samples.map((s) => s.importMs))),
    row("cold call (server start + sign-in + call)", stats(samples.map((s) => s.coldCallMs))),
    row("warm call", stats(samples.flatMap((s) => s.warmCallMs))),
    row("whole process (spawn → exit)", stats(samples.map((s) => s.processMs))),
    ``,
  ];
  const report = lines.join("\n");
  process.stdout.write(report + "\n");
  const dir = path.join(ROOT, "bench-results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `startup-${new Date().toISOString().replace(/[:.]/g, "-")}.md`);
  fs.writeFileSync(file, report);
  process.stderr.write(`[bench] report written to ${path.relative(ROOT, file)}\n`);
} finally {
  emu.stdin.end();
}
