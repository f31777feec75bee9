/**
 * The packaged server's log (src/log.ts): nothing on stderr at the default level when all is well;
 * at verbose, one line per request on stderr and in the log file, and stdout still carries
 * nothing but protocol frames. Needs `npm run build`.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SERVER_BINARY } from "../support/paths";

/** Runs the server over `messages`, waits for `answers` answers, closes stdin; returns its streams. */
async function run(env: Record<string, string>, messages: unknown[], answers: number): Promise<{ stdout: Buffer; stderr: string; code: number | null }> {
  const child = spawn(SERVER_BINARY, [], { stdio: ["pipe", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env } });
  const out: Buffer[] = [];
  let err = "";
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  for (const m of messages) {
    const body = Buffer.from(JSON.stringify(m), "utf8");
    child.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
  }
  const deadline = Date.now() + 20_000;
  while ((Buffer.concat(out).toString("latin1").match(/Content-Length: /g) ?? []).length < answers) {
    if (Date.now() > deadline) throw new Error(`no answers; stderr: ${err}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  child.stdin.end();
  const code = await exited;
  return { stdout: Buffer.concat(out), stderr: err, code };
}

function frames(stdout: Buffer): { id: unknown; result?: unknown; error?: { code: number } }[] {
  const messages = [];
  let rest = stdout;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    const m = /^Content-Length: (\d+)$/.exec(rest.subarray(0, end).toString("ascii"));
    expect(m).not.toBeNull();
    const n = Number(m![1]);
    messages.push(JSON.parse(rest.subarray(end + 4, end + 4 + n).toString("utf8")));
    rest = rest.subarray(end + 4 + n);
  }
  return messages;
}

const calls = [
  { jsonrpc: "2.0", id: 1, method: "bridge/hello", params: {} },
  { jsonrpc: "2.0", id: "two", method: "no/such", params: {} },
  { jsonrpc: "2.0", id: 3, method: "apim/newUserToken", params: { context: { env: {} }, resourceGroupName: 1 } },
];

beforeAll(() => {
  if (!fs.existsSync(SERVER_BINARY)) throw new Error(`${SERVER_BINARY} is missing: run npm run build first`);
});

test("at the default level a server that is only asked valid and invalid requests writes nothing on stderr", async () => {
  const r = await run({}, calls, 3);
  expect(r.code).toBe(0);
  expect(frames(r.stdout).map((m) => m.id)).toEqual([1, "two", 3]);
  expect(r.stderr).toBe("");
});

test("at verbose: start, one line per request with its outcome, exit; on stderr and in a 0600 file; stdout only frames", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-log-"));
  const file = path.join(dir, "server.log");
  try {
    const r = await run({ AZTOKENBRIDGE_LOG_LEVEL: "verbose", AZTOKENBRIDGE_LOG_FILE: file }, calls, 3);
    expect(r.code).toBe(0);
    expect(frames(r.stdout).map((m) => [m.id, m.error?.code ?? "ok"])).toEqual([
      [1, "ok"],
      ["two", -32601],
      [3, -32602],
    ]);
    const expected = [
      /^\[aztokenbridge\] info: server \S+ started: pid \d+, Node v22\.\d+\.\d+, log level verbose, log file .*server\.log$/,
      /^\[aztokenbridge\] verbose: request 1 bridge\/hello: ok in \d+ ms$/,
      /^\[aztokenbridge\] verbose: request "two" no\/such: error -32601 in \d+ ms$/,
      /^\[aztokenbridge\] verbose: request 3 apim\/newUserToken: error -32602 InvalidParams in \d+ ms$/,
      /^\[aztokenbridge\] info: stdin closed: exiting$/,
    ];
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(expected.length);
    lines.forEach((l, i) => expect(l).toMatch(expected[i]));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const fileLines = fs.readFileSync(file, "utf8").trim().split("\n");
    expect(fileLines.map((l) => l.replace(/^\S+ \d+ /, "[aztokenbridge] "))).toEqual(lines);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
