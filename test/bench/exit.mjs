// How long PowerShell takes to exit after a script that used the module: time from the script's last
// output to the process exit, over N runs of the demo.
//   node test/bench/exit.mjs <pwsh|test/pwsh/out/pwsh> module/examples/Demo.ps1 [runs]
import { spawn } from "node:child_process";
const exe = process.argv[2], script = process.argv[3], runs = Number(process.argv[4] ?? 5);
const env = { ...process.env };
for (const k of ["AZTOKENBRIDGE_SERVER","AZURE_TENANT_ID","AZURE_CLIENT_ID","AZURE_CLIENT_SECRET"]) delete env[k];
const res = [];
for (let i = 0; i < runs; i++) {
  const t0 = Date.now();
  let last = 0, out = "";
  const code = await new Promise((resolve) => {
    const c = spawn(exe, ["-NoProfile", "-NonInteractive", "-File", script], { env, stdio: ["ignore", "pipe", "pipe"] });
    c.stdout.on("data", (d) => { last = Date.now(); out += d; });
    c.stderr.on("data", (d) => { last = Date.now(); out += d; });
    c.on("exit", (code) => resolve(code));
  });
  const end = Date.now();
  res.push({ total: end - t0, afterLastOutput: end - last, code, table: /integration&\d{12}&/.test(out) });
}
console.log(JSON.stringify(res));
const a = res.map((r) => r.afterLastOutput).sort((x, y) => x - y);
console.log(`exit after the script's last output: median ${a[Math.floor(a.length / 2)]} ms, min ${a[0]}, max ${a[a.length - 1]} (n=${a.length})`);
