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
 * Then test/bench/peers.ps1 in one more process: warm calls against a script loop over one reused
 * HttpClient, each loop first run --warm-up times unreported (steady state: the .NET tiered JIT keeps
 * compiling for thousands of calls), with the loops that say where a warm call goes (the request
 * straight through the client, bridge/hello, an advanced function's floor) and the CPU per call of
 * pwsh, the server and the emulator (its pid passed from here); bulk piped tokens with latency
 * against ForEach-Object -Parallel and a sequential loop, the first round reported apart as the
 * cold one; and the server's memory after many calls. Options: --rounds --calls --warm-up --bulk
 * --bulk-rounds --sequential-rounds --latency --rss-calls, and --others "text" (what else ran, for
 * the report).
 *
 * The report goes to stdout and to bench/report.md (committed). Figures are comparable only within
 * one report (same machine, same run).
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
const ROUNDS = opt("rounds", 3); // warm-call rounds, ours vs the HttpClient loop
const CALLS = opt("calls", 300); // calls per round
const BULK = opt("bulk", 2000); // user tokens piped in the bulk test
const BULK_ROUNDS = opt("bulk-rounds", 4); // the first is reported apart, as the cold one
const SEQ_ROUNDS = opt("sequential-rounds", 1);
const LATENCY = opt("latency", 25); // emulator latency (ms) in the bulk test
const RSS_CALLS = opt("rss-calls", 10000);
const WARM_UP = opt("warm-up", 3000); // unreported calls of each warm-call loop before its rounds
const OTHERS = (() => {
  const i = args.indexOf("--others");
  return i >= 0 ? args[i + 1] : "";
})();

const rid = `${process.platform === "win32" ? "win" : process.platform === "darwin" ? "osx" : "linux"}-${process.arch}`;
const server = path.join(ROOT, "module", "bin", rid, process.platform === "win32" ? "aztokenbridge.exe" : "aztokenbridge");
// The pwsh the build chose (src/build/build.mjs ensurePwsh: on PATH, else built from NuGet), else pwsh on PATH.
const shell = process.env.AZTOKENBRIDGE_TEST_PWSH || "pwsh";
const pwshVersion = spawnSync(shell, ["-NoProfile", "-Command", "$PSVersionTable.PSVersion.ToString()"], { encoding: "utf8" }).stdout?.trim() || "?";

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

function peers(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      shell,
      ["-NoProfile", "-NonInteractive", "-File", path.join(ROOT, "test", "bench", "peers.ps1"), "-Control", info.controlEndpoint,
        "-Rounds", String(ROUNDS), "-Calls", String(CALLS), "-Bulk", String(BULK), "-BulkRounds", String(BULK_ROUNDS),
        "-SequentialRounds", String(SEQ_ROUNDS), "-LatencyMs", String(LATENCY), "-RssCalls", String(RSS_CALLS),
        "-WarmUp", String(WARM_UP), "-EmulatorPid", String(emu.pid)],
      { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`peers.ps1 failed (${code}): ${err}${out}`));
      resolve(JSON.parse(out.trim().split("\n").pop()));
    });
  });
}

/** What else ran on the machine: load average and the processes with the most CPU. */
function loadNote() {
  const load = os.loadavg().map((x) => x.toFixed(2)).join(", ");
  const r = spawnSync("ps", ["-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"], { encoding: "utf8" });
  const top = (r.stdout || "").split("\n").map((l) => l.trim()).filter(Boolean).slice(0, 6).join("; ");
  return `load average ${load}; processes with the most CPU (ps %CPU, averaged over each one's lifetime) at the end: ${top || "(ps unavailable)"}`;
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  return { n: s.length, min: s[0], median: q(0.5), p90: q(0.9), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
};
const f = (x) => x.toFixed(1);
const f2 = (x) => x.toFixed(2);
const row = (name, st, g = f) => `| ${name} | ${st.n} | ${g(st.min)} | ${g(st.median)} | ${g(st.p90)} | ${g(st.max)} | ${g(st.mean)} |`;
const median = (xs) => stats(xs).median;
const int = (x) => Math.round(x).toLocaleString("en-US");

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
  const loadBefore = os.loadavg().map((x) => x.toFixed(2)).join(", ");
  const t0 = Date.now();
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push(await sample(env));
  const p = await peers(env);
  const benchSeconds = (Date.now() - t0) / 1000;
  const imp = stats(samples.map((s) => s.importMs));
  const cold = stats(samples.map((s) => s.coldCallMs));
  const warmSamples = stats(samples.flatMap((s) => s.warmCallMs));
  const ours = stats(p.warm.ours);
  const hc = stats(p.warm.httpClient);
  const ratio = ours.median / hc.median;
  // Where a warm call goes: differences of the loops' medians (each loop's per-call figure per round).
  const md = Object.fromEntries(Object.entries(p.warm).map(([k, xs]) => [k, median(xs)]));
  const psSide = md.ours - md.clientToken;
  const floor = md.floor - md.empty;
  const hop = md.hello - md.empty;
  const serverRequest = md.clientToken - md.hello;
  const share = (x) => `${((100 * x) / md.ours).toFixed(0)}%`;
  const jit = p.warmJit;
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const jitMethods = sum(Object.values(jit).map((j) => sum(j.methods)));
  const jitMs = sum(Object.values(jit).map((j) => sum(j.ms)));
  const jitNames = { ours: "ours", httpClient: "HttpClient", invokeRestMethod: "Invoke-RestMethod", clientToken: "client token call", hello: "hello", floor: "floor", empty: "empty loop" };
  const cpu = (name) => {
    const c = p.warmCpu[name];
    const [pw, sv, em] = [median(c.pwsh), median(c.server), median(c.emulator)];
    return `| ${f2(md[name])} | ${f2(pw)} | ${f2(sv)} | ${p.emulatorCpu ? f2(em) : "–"} | ${f2(pw + sv + (p.emulatorCpu ? em : 0))} |`;
  };
  const ideal = (BULK * LATENCY) / 16;
  // Bulk: the first round is the cold one (JIT); the figures compared are the later (warm) rounds'.
  const warmPart = (xs) => (xs.length > 1 ? xs.slice(1) : xs);
  const warmRounds = BULK_ROUNDS > 2 ? `rounds 2–${BULK_ROUNDS}` : BULK_ROUNDS === 2 ? "round 2" : "round 1";
  const warmLabel = BULK_ROUNDS > 1 ? `${warmRounds}, warm` : "round 1, the only one: cold";
  const bo = stats(warmPart(p.bulk.ours));
  const bp = stats(warmPart(p.bulk.parallel));
  const pct = (ms) => `${((100 * ideal) / ms).toFixed(0)}%`;
  const bulkCpu = (key, pick) => {
    const c = p.bulk[`${key}Cpu`];
    const [pw, sv, em] = [pick(c.pwsh), pick(c.server), pick(c.emulator)];
    return `${f2(pw)} | ${f2(sv)} | ${p.emulatorCpu ? f2(em) : "–"} | ${f2(pw + sv + (p.emulatorCpu ? em : 0))}`;
  };
  const bs = stats(p.bulk.sequential);
  const mb = (b) => b / 1048576;
  const rssIdle = mb(p.rss.idle);
  const rssAfter = p.rss.after.map(mb);
  const ok = (cond) => (cond ? "met" : "**missed**");
  const lines = [
    `# AzTokenBridge benchmark`,
    ``,
    `${new Date().toISOString()} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"} · ${os.platform()} ${os.release()} · PowerShell: pwsh ${pwshVersion} (${path.relative(ROOT, shell) || shell}) · server: ${path.relative(ROOT, server)} · whole run ${benchSeconds.toFixed(0)} s`,
    ``,
    `Machine load: at the start ${loadBefore}; ${loadNote()}.${OTHERS ? ` Also running: ${OTHERS}.` : ""}`,
    ``,
    `One emulator (127.0.0.1, HTTPS) for the whole run; no added latency except in the bulk test. Milliseconds unless noted.`,
    ``,
    `## 1. Start and call`,
    ``,
    `${RUNS} fresh PowerShell processes (after one unreported warm-up run), each: Import-Module, the first`,
    `New-AzApiManagementUserToken (starts the server, signs in to the emulator's Entra ID, calls ARM), then`,
    `${WARM} warm calls in a row.`,
    ``,
    `| measure | n | min | median | p90 | max | mean |`,
    `| --- | --- | --- | --- | --- | --- | --- |`,
    row("Import-Module", imp),
    row("first call (server start + sign-in + call)", cold),
    row("warm call", warmSamples),
    row("whole process (spawn → exit)", stats(samples.map((s) => s.processMs))),
    ``,
    `## 2. Warm call against a script loop over one HttpClient`,
    ``,
    `One PowerShell process. Each loop first ran ${int(p.warmUp)} times unreported (warm-up to steady state: the .NET`,
    `tiered JIT keeps compiling for thousands of calls; in unreported rounds interleaved like the measured ones),`,
    `then ${ROUNDS} rounds × ${CALLS} calls each, interleaved:`,
    `New-AzApiManagementUserToken, and a script loop over one reused System.Net.Http.HttpClient POSTing the same`,
    `ARM request (users/integration/token, api-version 2024-05-01) with a bearer token for the same app,`,
    `parsing the answer into an object.`,
    p.invokeRestMethod ? `Invoke-RestMethod makes the same request.` : `Invoke-RestMethod: not measured (pwsh is not on PATH on this machine; the project's host has no Microsoft.PowerShell.Utility).`,
    `The same rounds also ran the loops of section 3. Per-call milliseconds, one figure per round.`,
    ``,
    `| measure | n | min | median | p90 | max | mean |`,
    `| --- | --- | --- | --- | --- | --- | --- |`,
    row("ours", ours, f2),
    row("HttpClient loop", hc, f2),
    ...(p.invokeRestMethod ? [row("Invoke-RestMethod", stats(p.warm.invokeRestMethod), f2)] : []),
    ``,
    `Ratio ours / HttpClient (medians): **${ratio.toFixed(2)}×**.`,
    ``,
    `Methods JIT-compiled while the measured loops ran (pwsh, all threads, System.Runtime.JitInfo): **${int(jitMethods)}**`,
    `(${int(jitMs)} ms of JIT); per loop, round by round: ${Object.keys(p.warm).map((k) => `${jitNames[k] ?? k} ${jit[k].methods.map(int).join(" · ")}`).join("; ")}.`,
    ``,
    `## 3. Where a warm call goes`,
    ``,
    `Loops in the same rounds as section 2, after the same warm-up: the cmdlet's own apim/newUserToken request sent`,
    `straight through the client (\`[AzTokenBridge.Client.ServerConnection]::Shared.SendRequest\`, then \`Wait\`; params`,
    `built once in the module's scope, as the cmdlet builds them, and serialized once), \`bridge/hello\` (params \`{}\`)`,
    `the same way, each call checked \`Succeeded\`; a function with New-AzApiManagementUserToken's own attributes and`,
    `param block and an empty body, called with the same arguments (\`-Context $context -UserId integration\`); an`,
    `empty loop. Per-call milliseconds, one figure per round.`,
    ``,
    `| measure | n | min | median | p90 | max | mean |`,
    `| --- | --- | --- | --- | --- | --- | --- |`,
    row("apim/newUserToken through the client", stats(p.warm.clientToken), f2),
    row("bridge/hello through the client", stats(p.warm.hello), f2),
    row("empty function, the cmdlet's param block", stats(p.warm.floor), f2),
    row("empty loop", stats(p.warm.empty), f2),
    ``,
    `A warm New-AzApiManagementUserToken, by part (differences of the medians above and in section 2):`,
    ``,
    `| part | ms | of the call | how measured |`,
    `| --- | --- | --- | --- |`,
    `| the cmdlet's whole call | ${f2(md.ours)} | 100% | section 2, ours |`,
    `| PowerShell: the cmdlet's script and binding | ${f2(psSide)} | ${share(psSide)} | ours − the same request through the client |`,
    `| · of which an advanced function's floor | ${f2(floor)} | ${share(floor)} | the empty function − the empty loop: binding the same arguments to the same param block |`,
    `| · the rest: the cmdlet's begin/process/end | ${f2(psSide - floor)} | ${share(psSide - floor)} | the difference: caller preferences, call context, params, request JSON, window, output object |`,
    `| the pipe hop and the client | ${f2(hop)} | ${share(hop)} | bridge/hello through the client − the empty loop: frame out, the server's answer to hello, frame back, the reader completing the request |`,
    `| the server's request: SDK, Node HTTPS, the emulator | ${f2(serverRequest)} | ${share(serverRequest)} | apim/newUserToken through the client − bridge/hello |`,
    `| the loop itself | ${f2(md.empty)} | ${share(md.empty)} | the empty loop |`,
    `| for comparison: the HttpClient peer's whole request | ${f2(md.httpClient)} | ${share(md.httpClient)} | section 2, HttpClient loop (request, answer, JSON parse, object) |`,
    ``,
    `CPU milliseconds per call during each loop (Process.TotalProcessorTime before and after each round, divided by`,
    `the calls; median of the rounds; on Linux the processes' CPU times come in 10 ms ticks, ±${f2(10 / CALLS)} ms per call here).`,
    `The server and the emulator run on the same ${os.cpus().length} cores as pwsh.${p.emulatorCpu ? "" : " The emulator's CPU was not measured."}`,
    ``,
    `| loop | wall | pwsh | server | emulator | CPU in all |`,
    `| --- | --- | --- | --- | --- | --- |`,
    `| New-AzApiManagementUserToken ${cpu("ours")}`,
    `| apim/newUserToken through the client ${cpu("clientToken")}`,
    `| bridge/hello through the client ${cpu("hello")}`,
    `| HttpClient loop ${cpu("httpClient")}`,
    ``,
    `## 4. Bulk: ${BULK} user tokens piped, emulator latency ${LATENCY} ms`,
    ``,
    `The 25 demo users cycled to ${BULK} inputs. Ours: \`$inputs | New-AzApiManagementUserToken -ThrottleLimit 16\`;`,
    `peer: \`ForEach-Object -Parallel -ThrottleLimit 16\` around the same HttpClient request; a sequential HttpClient loop.`,
    `${BULK_ROUNDS} rounds in one process, after section 2's loops; the first round of each is reported apart as the cold one`,
    `(the pipeline's code paths are JIT-compiled during it), and the figures compared are the later rounds'.`,
    `Ideal: N·L/16 = ${ideal.toFixed(0)} ms. Elapsed milliseconds per round.`,
    ``,
    `| measure | n | min | median | p90 | max | mean | in input order |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- |`,
    ...(BULK_ROUNDS > 1 ? [`${row("ours (window 16), round 1, cold", stats(p.bulk.ours.slice(0, 1)))} ${p.bulk.oursInOrder ? "yes" : "**no**"} |`] : []),
    `${row(`ours (window 16), ${warmLabel}`, bo)} ${p.bulk.oursInOrder ? "yes" : "**no**"} |`,
    ...(BULK_ROUNDS > 1 ? [`${row("ForEach-Object -Parallel -ThrottleLimit 16 (HttpClient), round 1, cold", stats(p.bulk.parallel.slice(0, 1)))} ${p.bulk.parallelInOrder ? "yes" : "no"} |`] : []),
    `${row(`ForEach-Object -Parallel -ThrottleLimit 16 (HttpClient), ${warmLabel}`, bp)} ${p.bulk.parallelInOrder ? "yes" : "no"} |`,
    `${row("sequential HttpClient loop", bs)} ${p.bulk.sequentialInOrder ? "yes" : "no"} |`,
    `| ideal N·L/16 | | | ${ideal.toFixed(0)} | | | | |`,
    ``,
    `Every round, in order — ours: ${p.bulk.ours.map((ms, i) => `${int(ms)} ms (${pct(ms)}, ${int(p.bulk.oursJit[i])} methods JIT-compiled)`).join(" · ")};`,
    `-Parallel: ${p.bulk.parallel.map((ms, i) => `${int(ms)} ms (${pct(ms)}, ${int(p.bulk.parallelJit[i])} methods JIT-compiled)`).join(" · ")}.`,
    ``,
    `Ours reaches **${pct(bo.median)}** of the ideal (median of ${warmLabel}; round 1, cold: ${pct(p.bulk.ours[0])}), ${(bp.median / bo.median).toFixed(2)}× the speed of the -Parallel peer (same rounds).`,
    ``,
    // The ideal counts the emulator's latency only. The sequential loop shows what one request
    // really takes at this latency (the emulator's own work and timer, HTTPS, .NET): a window of 16
    // that cost nothing itself would take N × that / 16.
    `The ideal counts only the added latency. The sequential HttpClient loop takes ${(bs.median / BULK).toFixed(2)} ms per request at ${LATENCY} ms`,
    `(the emulator's own work and timer, HTTPS, .NET): a window of 16 that cost nothing of its own would take N × that / 16 =`,
    `${f((bs.median / BULK) * BULK / 16)} ms, **${pct((bs.median / BULK) * BULK / 16)}** of the ideal.`,
    ``,
    `CPU milliseconds per input (as in section 3, per round; ±${f2(10 / BULK)} ms per input):`,
    ``,
    `| run | pwsh | server | emulator | CPU in all |`,
    `| --- | --- | --- | --- | --- |`,
    ...(BULK_ROUNDS > 1 ? [`| ours, round 1, cold | ${bulkCpu("ours", (xs) => xs[0])} |`] : []),
    `| ours, ${warmLabel}, median | ${bulkCpu("ours", (xs) => median(warmPart(xs)))} |`,
    `| -Parallel peer, ${warmLabel}, median | ${bulkCpu("parallel", (xs) => median(warmPart(xs)))} |`,
    ``,
    `## 5. Server memory (RSS)`,
    ``,
    `The server process of the peers run. "Own": its anonymous memory (Linux smaps_rollup) — RSS less the`,
    `pages of the executable file, which are shared and clean (the Node runtime, its ICU data, the bundles).`,
    ``,
    `| point | RSS MB | own MB |`,
    `| --- | --- | --- |`,
    `| idle, after the first call | ${rssIdle.toFixed(1)} | ${mb(p.rss.anonymousIdle).toFixed(1)} |`,
    `| after ${p.rss.calls} more calls (piped, latency 0) | ${rssAfter[0].toFixed(1)} | ${mb(p.rss.anonymousAfter[0]).toFixed(1)} |`,
    `| after ${p.rss.calls} more again | ${rssAfter[1].toFixed(1)} | ${mb(p.rss.anonymousAfter[1]).toFixed(1)} |`,
    ``,
    `## Targets`,
    ``,
    `| target | figure | |`,
    `| --- | --- | --- |`,
    `| warm call ≤ 1.5× the HttpClient loop | ${ratio.toFixed(2)}× (${f2(ours.median)} vs ${f2(hc.median)} ms, medians after ${int(p.warmUp)} warm-up calls) | ${ok(ratio <= 1.5)} |`,
    // Issue K's targets (the warm call, bulk ≥ 90%, Import-Module, first call); RSS from an earlier issue.
    `| bulk ≥ 90% of ideal | ${pct(bo.median)} (${f(bo.median)} vs ${ideal.toFixed(0)} ms; median of ${warmLabel}; round 1, cold: ${pct(p.bulk.ours[0])}) | ${ok(ideal / bo.median >= 0.9)} |`,
    `| bulk faster than the -Parallel peer, in input order | ${f(bo.median)} vs ${f(bp.median)} ms (${warmLabel}), in order: ${p.bulk.oursInOrder ? "yes" : "no"} | ${ok(bo.median < bp.median && p.bulk.oursInOrder)} |`,
    `| Import-Module ≤ 100 ms | ${f(imp.median)} ms | ${ok(imp.median <= 100)} |`,
    `| first call ≤ 250 ms | ${f(cold.median)} ms | ${ok(cold.median <= 250)} |`,
    `| server RSS ≤ 80 MB | ${rssAfter[1].toFixed(1)} MB | ${ok(Math.max(rssIdle, ...rssAfter) <= 80)} |`,
    `| no RSS growth after ${p.rss.calls} calls | ${(rssAfter[1] - rssAfter[0]).toFixed(1)} MB between the two batches | ${ok(rssAfter[1] - rssAfter[0] <= 2)} |`,
    ``,
  ];
  const report = lines.join("\n");
  process.stdout.write(report + "\n");
  const dir = path.join(ROOT, "bench");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "report.md");
  fs.writeFileSync(file, report);
  process.stderr.write(`[bench] report written to ${path.relative(ROOT, file)}\n`);
} finally {
  emu.stdin.end();
}
