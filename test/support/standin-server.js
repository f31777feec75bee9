/*
 * A misbehaving AzTokenBridge server, for the transport tests (test/e2e/transport.test.ts):
 *
 *   $env:AZTOKENBRIDGE_SERVER = "node test/support/standin-server.js <mode> <dir> [<after> [<delay ms>]]"
 *
 * It runs the real packaged server behind it (module/bin/<rid>/, or STANDIN_REAL_SERVER) and passes
 * the frames through both ways, misbehaving as <mode> says. "Requests" below are calls other than
 * bridge/hello (the module's liveness probe); <after> (default 0) requests are answered normally
 * first. (Settings come on the command line: the module starts a server with none of the session's
 * own variables, src/protocol.ts SERVER_START_VARIABLES.)
 *
 *   stall     then answers nothing at all, bridge/hello included, and ignores the end of its stdin
 *             (a hung server: only a kill ends it)
 *   truncate  writes the next answer's header and half its body, then stalls
 *   long      writes the next answer with a Content-Length 100 more than its body, then stalls
 *   short     writes the next answer with a Content-Length 10 less than its body (the rest follows
 *             as the start of the next frame); then passes everything through
 *   slow      answers bridge/hello at once, and every request's answer <delay ms> (default 4000)
 *             late
 *
 * Writes <dir>/pid ("<its pid> <the real server's pid>") and appends one line per message the module
 * sent to <dir>/log ("<ms since start> <method>"). Plain JavaScript: run by the machine's node.
 */
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const [mode, dir, afterArg, delayArg] = process.argv.slice(2);
const after = Number(afterArg ?? 0);
const delayMs = Number(delayArg ?? 4000);
const rid = `${process.platform === "win32" ? "win" : process.platform === "darwin" ? "osx" : "linux"}-${process.arch}`;
const realServer =
  process.env.STANDIN_REAL_SERVER ??
  path.join(__dirname, "..", "..", "module", "bin", rid, process.platform === "win32" ? "aztokenbridge.exe" : "aztokenbridge");
const started = Date.now();

const real = spawn(realServer, [], { stdio: ["pipe", "pipe", "inherit"] });
fs.writeFileSync(path.join(dir, "pid"), `${process.pid} ${real.pid}`);
const log = (line) => fs.appendFileSync(path.join(dir, "log"), `${Date.now() - started} ${line}\n`);

/** Splits a byte stream into Content-Length frames: calls onFrame(headerText, bodyBuffer). */
function framer(onFrame) {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const header = buf.subarray(0, end).toString("ascii");
      const m = /content-length:\s*(\d+)/i.exec(header);
      if (!m) throw new Error(`stand-in: no Content-Length in ${header}`);
      const total = end + 4 + Number(m[1]);
      if (buf.length < total) return;
      const body = buf.subarray(end + 4, total);
      buf = buf.subarray(total);
      onFrame(header, body);
    }
  };
}

const frame = (body, length = body.length) => Buffer.concat([Buffer.from(`Content-Length: ${length}\r\n\r\n`, "ascii"), body]);

/** truncate / long: after the bad frame, nothing more is written. */
let stalled = false;
let requests = 0;
/** Hung: nothing more is written, and the end of stdin goes unnoticed. Answers to the requests
 * admitted before (<after>) still pass in stall mode. */
const hung = () => stalled || (mode === "stall" && requests > after);
/** id → "hello" | "pass" | "fault" (how to treat its answer). */
const treatment = new Map();

process.stdin.on(
  "data",
  framer((header, body) => {
    const msg = JSON.parse(body.toString("utf8"));
    log(msg.method ?? "(answer)");
    if (msg.id !== undefined && msg.method !== undefined) {
      if (msg.method === "bridge/hello") treatment.set(msg.id, "hello");
      else treatment.set(msg.id, ++requests <= after ? "pass" : "fault");
    }
    real.stdin.write(frame(body));
  }),
);
process.stdin.on("end", () => {
  if (hung()) return; // the end of stdin goes unnoticed
  real.stdin.end();
});
real.on("exit", (code) => {
  if (!hung()) process.exit(code ?? 0);
});
// A hung server stays alive until it is killed.
setInterval(() => {}, 60_000);

real.stdout.on(
  "data",
  framer((header, body) => {
    const msg = JSON.parse(body.toString("utf8"));
    const how = msg.id !== undefined && msg.method === undefined ? treatment.get(msg.id) : "pass";
    if (stalled) return;
    if (how === "hello") {
      if (hung()) return;
      process.stdout.write(frame(body));
      return;
    }
    if (how !== "fault") {
      process.stdout.write(frame(body));
      return;
    }
    switch (mode) {
      case "stall":
        return; // never answered
      case "truncate":
        process.stdout.write(frame(body.subarray(0, Math.floor(body.length / 2)), body.length));
        stalled = true;
        return;
      case "long":
        process.stdout.write(frame(body, body.length + 100));
        stalled = true;
        return;
      case "short":
        process.stdout.write(frame(body, body.length - 10));
        return;
      case "slow":
        setTimeout(() => process.stdout.write(frame(body)), delayMs);
        return;
      default:
        throw new Error(`stand-in: unknown mode '${mode}'`);
    }
  }),
);
