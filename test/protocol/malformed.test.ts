/**
 * Malformed JSON-RPC written straight to the packaged server's stdin (issue 18, "Bad input"): bad
 * JSON, requests that are not requests, unknown methods, params of the wrong type for every method
 * and field, huge frames, malformed headers, and a seeded loop of random junk, random JSON values
 * and random params. Every case gets its answer (or, where JSON-RPC says none is due, none), the
 * server keeps serving, and stdout stays strictly framed. Needs `npm run build`.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { AllMethods } from "../../src/protocol";
import { PARAMS } from "../../src/rpc/params";
import { Optional, Shape } from "../../src/rpc/shape";
import { SERVER_BINARY } from "../support/paths";
import { seededRandom } from "../../src/emulator/faults"; // mulberry32, so a failure can be replayed

interface Answer {
  jsonrpc: string;
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string; data?: { target?: string; errorId?: string } };
}

/** The server with raw bytes in and strictly parsed frames out. */
class RawServer {
  readonly child: ChildProcess;
  readonly answers: Answer[] = [];
  stderr = "";
  private out = Buffer.alloc(0);
  private nextId = 1_000_000;
  framingError: string | undefined;

  constructor() {
    // A clean environment: nothing here may reach a real identity or network.
    this.child = spawn(SERVER_BINARY, [], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", AZTOKENBRIDGE_LOG_LEVEL: "warning" },
    });
    this.child.stderr!.on("data", (d) => (this.stderr += d));
    this.child.stdout!.on("data", (d: Buffer) => {
      this.out = Buffer.concat([this.out, d]);
      this.parse();
    });
  }

  private parse(): void {
    for (;;) {
      const headerEnd = this.out.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const m = /^Content-Length: (\d+)$/.exec(this.out.subarray(0, headerEnd).toString("ascii"));
      if (!m) {
        this.framingError = `not a frame: ${JSON.stringify(this.out.subarray(0, 80).toString("latin1"))}`;
        return;
      }
      const length = Number(m[1]);
      if (this.out.length < headerEnd + 4 + length) return;
      const body = this.out.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
      this.out = this.out.subarray(headerEnd + 4 + length);
      const answer = JSON.parse(body) as Answer;
      expect(answer.jsonrpc).toBe("2.0");
      expect("result" in answer !== "error" in answer).toBe(true);
      this.answers.push(answer);
    }
  }

  write(bytes: Buffer | string): void {
    this.child.stdin!.write(bytes);
  }

  static frame(body: Buffer | string): Buffer {
    const b = Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
    return Buffer.concat([Buffer.from(`Content-Length: ${b.length}\r\n\r\n`, "ascii"), b]);
  }

  send(message: unknown): void {
    this.write(RawServer.frame(JSON.stringify(message)));
  }

  async waitFor(pred: (a: Answer) => boolean, what: string, timeoutMs = 15_000): Promise<Answer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.answers.find(pred);
      if (found) return found;
      if (this.framingError) throw new Error(this.framingError);
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the server exited (${this.child.exitCode ?? this.child.signalCode}) waiting for ${what}: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no answer for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * Writes `bytes` (a case), then a bridge/hello; returns the answers that came before the hello's
   * (what the case got), once the hello is answered.
   */
  async probe(bytes: Buffer | string, awaitIds: (string | number)[] = []): Promise<Answer[]> {
    const before = this.answers.length;
    const id = this.nextId++;
    this.write(bytes);
    this.send({ jsonrpc: "2.0", id, method: "bridge/hello", params: {} });
    const hello = await this.waitFor((a) => a.id === id, `bridge/hello ${id}`);
    // Answers from the reader come before the hello's; a handler's may come after it.
    for (const x of awaitIds) await this.waitFor((a) => a.id === x, `request ${JSON.stringify(x)}`);
    expect(hello.result).toMatchObject({ name: "aztokenbridge" });
    const got = this.answers.slice(before).filter((a) => a !== hello);
    this.answers.splice(before);
    return got;
  }

  /** A request whose answer is awaited by id. */
  async call(id: string | number, method: unknown, params?: unknown): Promise<Answer> {
    const msg: Record<string, unknown> = { jsonrpc: "2.0", id, method };
    if (params !== undefined) msg.params = params;
    this.send(msg);
    const a = await this.waitFor((x) => x.id === id, `request ${JSON.stringify(id)}`);
    this.answers.splice(this.answers.indexOf(a), 1);
    return a;
  }

  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.child.on("exit", (code) => resolve(code)));
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    const code = this.child.exitCode ?? (await exited);
    clearTimeout(t);
    return code;
  }
}

let server: RawServer;

beforeAll(() => {
  if (!fs.existsSync(SERVER_BINARY)) throw new Error(`${SERVER_BINARY} is missing: run npm run build first`);
  server = new RawServer();
});

afterAll(async () => {
  // After every case below: the process is alive, still answers, and exits cleanly on EOF.
  expect(server.child.exitCode).toBeNull();
  const hello = await server.probe("");
  expect(hello).toEqual([]);
  expect(await server.stop()).toBe(0);
  expect(server.framingError).toBeUndefined();
  expect(server.stderr).not.toMatch(/uncaught|TypeError|RangeError/);
});

function expectOneError(got: Answer[], code: number, id: string | number | null = null): Answer {
  expect(got.map((a) => [a.id, a.error?.code])).toEqual([[id, code]]);
  const message = got[0].error!.message;
  expect(message).not.toContain("[object Object]");
  expect(message.length).toBeGreaterThan(10);
  return got[0];
}

describe("bad JSON in a well-framed message: Parse error (-32700), id null, and the server goes on", () => {
  const bodies: [string, Buffer | string][] = [
    ["truncated object", "{bad json"],
    ["empty body", ""],
    ["a half message", '{"jsonrpc":"2.0","id":1,"method":'],
    ["trailing garbage", '{"jsonrpc":"2.0","id":1,"method":"bridge/hello"} x'],
    ["single quotes", "{'jsonrpc':'2.0'}"],
    ["invalid UTF-8", Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
    ["a NUL byte", "\u0000"],
    ["NaN", "NaN"],
  ];
  test.each(bodies)("%s", async (_name, body) => {
    const a = expectOneError(await server.probe(RawServer.frame(body)), -32700);
    expect(a.error!.message).toMatch(/^Parse error: the body is not valid (JSON|UTF-8)/);
  });
});

describe("valid JSON that is not a request: Invalid Request (-32600), with the id when it is usable", () => {
  const cases: [string, unknown, string | number | null][] = [
    ["an empty batch", [], null],
    ["a batch (not supported)", [{ jsonrpc: "2.0", id: 1, method: "bridge/hello" }], null],
    ["a number", 42, null],
    ["a string", "bridge/hello", null],
    ["null", null, null],
    ["true", true, null],
    ["jsonrpc 1.0", { jsonrpc: "1.0", id: 71, method: "bridge/hello" }, 71],
    ["no jsonrpc", { id: "s72", method: "bridge/hello" }, "s72"],
    ["jsonrpc a number", { jsonrpc: 2, id: 73, method: "bridge/hello" }, 73],
    ["no method", { jsonrpc: "2.0", id: 74 }, 74],
    ["method a number", { jsonrpc: "2.0", id: 75, method: 5 }, 75],
    ["method an object", { jsonrpc: "2.0", id: 76, method: { name: "bridge/hello" } }, 76],
    ["id an object", { jsonrpc: "2.0", id: { n: 1 }, method: "bridge/hello" }, null],
    ["id an array", { jsonrpc: "2.0", id: [1], method: "bridge/hello" }, null],
    ["id a boolean", { jsonrpc: "2.0", id: true, method: "bridge/hello" }, null],
    ["id null", { jsonrpc: "2.0", id: null, method: "bridge/hello" }, null],
  ];
  test.each(cases)("%s", async (_name, value, id) => {
    const a = expectOneError(await server.probe(RawServer.frame(JSON.stringify(value))), -32600, id);
    expect(a.error!.message).toMatch(/^Invalid Request: /);
    if (Array.isArray(value) && value.length) expect(a.error!.message).toMatch(/batches are not supported/);
  });

  test("what JSON-RPC never answers gets no answer: a response, notifications (also a bad $/cancelRequest)", async () => {
    for (const value of [
      { jsonrpc: "2.0", id: 81, result: { ok: true } },
      { jsonrpc: "2.0", id: 82, error: { code: 1, message: "x" } },
      { jsonrpc: "2.0", method: "bridge/hello" },
      { jsonrpc: "2.0", method: "no/such/notification", params: { a: 1 } },
      { jsonrpc: "2.0", method: "$/cancelRequest" },
      { jsonrpc: "2.0", method: "$/cancelRequest", params: null },
      { jsonrpc: "2.0", method: "$/cancelRequest", params: "x" },
      { jsonrpc: "2.0", method: "$/cancelRequest", params: { id: { x: 1 } } },
      { jsonrpc: "2.0", method: "$/cancelRequest", params: { id: 999 } },
    ]) {
      expect([value, await server.probe(RawServer.frame(JSON.stringify(value)))]).toEqual([value, []]);
    }
  });
});

describe("methods", () => {
  test.each([["no/such"], [""], ["rpc.discover"], ["$/cancelRequest"], ["x".repeat(10_000)]])("unknown method %# is MethodNotFound (-32601)", async (method) => {
    const a = await server.call(`m-${method.length}`, method, {});
    expect(a.error!.code).toBe(-32601);
    expect(a.error!.message.length).toBeLessThan(200);
  });

  test("a request without params is checked as {} (bridge/hello needs none; the others name a required field)", async () => {
    expect((await server.call(91, "bridge/hello")).result).toMatchObject({ name: "aztokenbridge" });
    const a = await server.call(92, "apim/newUserToken");
    expect(a.error).toMatchObject({ code: -32602, data: { errorId: "InvalidParams", target: "resourceGroupName" } });
    expect(a.error!.message).toBe("Invalid params for apim/newUserToken: resourceGroupName is missing: it must be a string.");
  });
});

// ---------------------------------------------------------------------------------------------
// Params of the wrong type, for every method and every field (generated from the shape table).

type AnyShape = Shape<unknown>;
const isOptional = (f: AnyShape | Optional<unknown>): f is Optional<unknown> => "optional" in f;

/** A value of the shape, with every optional field present (so that each can be made wrong). */
function validValue(shape: AnyShape): unknown {
  switch (shape.kind) {
    case "string":
      return "x";
    case "number":
      return 1;
    case "boolean":
      return true;
    case "array":
      return [validValue(shape.item!)];
    case "dict":
      return { KEY: validValue(shape.item!) };
    case "object":
      return Object.fromEntries(Object.entries(shape.fields!).map(([k, f]) => [k, validValue(isOptional(f) ? f.optional : f)]));
  }
}

/** Every field path of a shape (arrays as [0], maps as .KEY), with its shape and whether it is optional. */
function fieldPaths(shape: AnyShape, prefix = ""): { path: string[]; shape: AnyShape; optional: boolean }[] {
  const out: { path: string[]; shape: AnyShape; optional: boolean }[] = [];
  const at = (k: string) => (prefix === "" ? [k] : [...prefix.split("\u0000"), k]);
  if (shape.kind === "object") {
    for (const [k, f] of Object.entries(shape.fields!)) {
      const inner = isOptional(f) ? f.optional : f;
      out.push({ path: at(k), shape: inner, optional: isOptional(f) });
      out.push(...fieldPaths(inner, at(k).join("\u0000")));
    }
  } else if (shape.kind === "array" || shape.kind === "dict") {
    const k = shape.kind === "array" ? "0" : "KEY";
    out.push({ path: at(k), shape: shape.item!, optional: false });
    out.push(...fieldPaths(shape.item!, at(k).join("\u0000")));
  }
  return out;
}

function displayPath(path: string[]): string {
  return path.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

function setAt(root: unknown, path: string[], value: unknown, remove = false): unknown {
  const copy = structuredClone(root) as Record<string, unknown>;
  let node = copy as Record<string, unknown>;
  for (const p of path.slice(0, -1)) {
    node = node[p] as Record<string, unknown>;
    if (typeof node !== "object" || node === null) return root; // an earlier change replaced a parent
  }
  if (remove) delete node[path.at(-1)!];
  else node[path.at(-1)!] = value;
  return copy;
}

/** Values of another JSON kind than the shape's. */
function wrongValues(shape: AnyShape): unknown[] {
  const all: Record<string, unknown> = { string: "text", number: 12.5, boolean: false, array: ["a", 1], object: { toString: "x", a: { b: 1 } } };
  const kinds = { string: ["string"], number: ["number"], boolean: ["boolean"], array: ["array"], dict: ["object"], object: ["object"] }[shape.kind];
  return Object.entries(all)
    .filter(([k]) => !kinds.includes(k))
    .map(([, v]) => v);
}

interface ParamCase {
  name: string;
  params: unknown;
  target: string | undefined;
  expected: string;
}

function paramCases(method: string): ParamCase[] {
  const shape = PARAMS[method];
  const cases: ParamCase[] = [];
  for (const params of ["a string", 5, null, true, [], [{}]]) {
    cases.push({ name: `params ${JSON.stringify(params)}`, params, target: undefined, expected: "params must be an object" });
  }
  const valid = validValue(shape);
  for (const f of fieldPaths(shape)) {
    const path = displayPath(f.path);
    for (const wrong of wrongValues(f.shape)) {
      cases.push({ name: `${path} = ${JSON.stringify(wrong)}`, params: setAt(valid, f.path, wrong), target: path, expected: f.shape.expected });
    }
    if (!f.optional) cases.push({ name: `${path} null`, params: setAt(valid, f.path, null), target: path, expected: f.shape.expected });
    if (!f.optional && !/^\d+$|^KEY$/.test(f.path.at(-1)!)) {
      cases.push({ name: `${path} missing`, params: setAt(valid, f.path, undefined, true), target: path, expected: f.shape.expected });
    }
  }
  return cases;
}

describe("params of the wrong type: InvalidParams (-32602) naming the field and its type, for every method", () => {
  test("the shape table covers every declared method", () => {
    expect(Object.keys(PARAMS).sort()).toEqual([...AllMethods].sort());
  });

  test.each(AllMethods.map((m) => [m]))("%s", async (method) => {
    const cases = paramCases(method);
    expect(cases.length).toBeGreaterThan(6);
    let n = 0;
    for (const c of cases) {
      const a = await server.call(`${method}#${n++}`, method, c.params);
      const where = `${method} ${c.name}`;
      expect([where, a.error?.code]).toEqual([where, -32602]);
      expect([where, a.error!.data?.target]).toEqual([where, c.target]);
      expect(a.error!.message).toContain(`Invalid params for ${method}: `);
      expect(a.error!.message).toContain(c.expected);
      if (c.target) expect(a.error!.message).toContain(`${c.target} `);
      expect(a.error!.message).not.toContain("[object Object]");
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe("huge frames and huge strings", () => {
  test("a Content-Length over 16 MiB is refused (-32600, id null) and its bytes skipped; the next request is served", async () => {
    const size = 16 * 1024 * 1024 + 1;
    const body = Buffer.alloc(size, 0x20);
    // Something that looks like a frame inside the skipped bytes must not be read as one.
    RawServer.frame(JSON.stringify({ jsonrpc: "2.0", id: "inside", method: "bridge/hello" })).copy(body, 1000);
    const got = await server.probe(Buffer.concat([Buffer.from(`Content-Length: ${size}\r\n\r\n`), body]));
    const a = expectOneError(got, -32600);
    expect(a.error!.message).toMatch(/over the limit of 16777216 bytes/);
  });

  test("a frame just under the limit is read and answered", async () => {
    const pad = "p".repeat(15 * 1024 * 1024);
    const a = await server.call("big", "bridge/hello", { padding: pad });
    expect(a.result).toMatchObject({ name: "aztokenbridge" });
  });

  test("a huge string in a normal frame is refused by the service's validation (InvalidInput), no network", async () => {
    const a = await server.call("huge-user", "apim/newUserToken", {
      context: { env: {} },
      resourceGroupName: "rg",
      serviceName: "svc",
      userId: "u".repeat(1024 * 1024),
      keyType: "Primary",
      expiry: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect(a.error).toMatchObject({ code: 1001, data: { target: "UserId" } });
    // The service's message quotes the value: the server cuts a message that long.
    expect(a.error!.message.length).toBeLessThan(5000);
  });

  test("deeply nested JSON (100,000 levels) in a field is refused by type, not by a stack overflow", async () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    server.write(RawServer.frame(`{"jsonrpc":"2.0","id":"deep","method":"apim/getUsers","params":{"resourceGroupName":"rg","serviceName":"s","context":${deep}}}`));
    const a = await server.waitFor((x) => x.id === "deep", "deep");
    server.answers.splice(server.answers.indexOf(a), 1);
    expect(a.error).toMatchObject({ code: -32602, data: { target: "context" } });
  });
});

describe("malformed headers: one Parse error (-32700, id null), then the reader resynchronises at the next Content-Length", () => {
  const cases: [string, Buffer | string][] = [
    ["garbage before a header", "hello there\r\n"],
    ["a header without Content-Length", "Content-Type: application/json\r\n\r\n{}"],
    ["a non-numeric Content-Length", "Content-Length: abc\r\n\r\n{}"],
    ["a negative Content-Length", "Content-Length: -5\r\n\r\n{}"],
    ["a Content-Length with two numbers", "Content-Length: 5 5\r\n\r\n{}"],
    ["two different Content-Lengths", "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"],
    ["a blank line alone", "\r\n"],
    ["LF-only framing", 'Content-Length: 2\n\n{}'],
    ["binary junk", Buffer.from([0, 1, 2, 0xff, 0x80, 0x7f, 0x1b])],
    ["a header longer than 8 KiB", "X-Pad: " + "a".repeat(20_000)],
    ["20 KiB of letters without a line end", "a".repeat(20_000)],
  ];
  test.each(cases)("%s", async (_name, bytes) => {
    const a = expectOneError(await server.probe(bytes), -32700);
    expect(a.error!.message).toMatch(/^Parse error: malformed header: /);
  });

  test("junk that spells a header field name is not mistaken for a frame", async () => {
    // "abc" runs into the next header's name: "abcContent-Length: …" has no Content-Length.
    expectOneError(await server.probe("abc"), -32700);
    // A well-formed but unknown header field is allowed (as in LSP's base protocol).
    expect(await server.probe("X-Unknown: 1\r\n")).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// A seeded loop of random cases.


const SEED = Number(process.env.AZTOKENBRIDGE_FUZZ_SEED ?? 1812);

describe(`random cases (seed ${SEED})`, () => {
  const rnd = seededRandom(SEED);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)];
  const randomString = () => {
    const alphabet = ["a", "Z", "0", " ", "/", ":", "\\", '"', "\u0000", "\u001b", "é", "😀", "\r\n", "Content-Length"];
    return Array.from({ length: int(12) }, () => pick(alphabet)).join("");
  };
  const randomJson = (depth = 0): unknown => {
    switch (int(depth > 3 ? 5 : 7)) {
      case 0:
        return null;
      case 1:
        return rnd() < 0.5;
      case 2:
        return pick([0, -1, 1.5, 1e300, 2 ** 53 + 1]);
      case 3:
      case 4:
        return randomString();
      case 5:
        return Array.from({ length: int(4) }, () => randomJson(depth + 1));
      default:
        return Object.fromEntries(Array.from({ length: int(4) }, () => [pick(["id", "method", "params", "jsonrpc", "x", randomString()]), randomJson(depth + 1)]));
    }
  };
  const counts = { junk: 0, json: 0, params: 0, answered: 0 };

  /** A header-like run of complete `Name: value` lines is the only junk that earns no answer. */
  const headerLines = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t\x20-\x7e]*\r\n)*$/;

  test("random junk bytes: the next request is always served; one Parse error unless the junk is header lines", async () => {
    for (let i = 0; i < 120; i++) {
      let junk = Buffer.from(Array.from({ length: 1 + int(300) }, () => (rnd() < 0.7 ? 0x20 + int(95) : int(256))));
      if (rnd() < 0.2) junk = Buffer.from(`${pick(["X-A", "Content-Type", "Foo"])}: ${int(1000)}\r\n`);
      if (/content-length/i.test(junk.toString("latin1"))) continue;
      const got = await server.probe(junk);
      counts.junk++;
      if (headerLines.test(junk.toString("latin1"))) expect(got).toEqual([]);
      else {
        expect([i, got.map((a) => [a.id, a.error?.code])]).toEqual([i, [[null, -32700]]]);
        counts.answered++;
      }
    }
    expect(counts.junk).toBeGreaterThanOrEqual(100);
  });

  test("random JSON values: an answer exactly when JSON-RPC says one is due, with the right id", async () => {
    for (let i = 0; i < 150; i++) {
      let value = randomJson();
      if (rnd() < 0.6) {
        // Closer to a request: the envelope right, some part random.
        const m: Record<string, unknown> = { jsonrpc: "2.0", method: pick([...AllMethods, "no/such", "$/cancelRequest"]), id: `r${i}` };
        const key = pick(["jsonrpc", "method", "id", "params", "params", "none"]);
        if (key !== "none") m[key] = randomJson();
        if (rnd() < 0.2) delete m.id;
        value = m;
      }
      const o = value as Record<string, unknown>;
      const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
      const handled = isObject && o.jsonrpc === "2.0" && typeof o.method === "string" && (typeof o.id === "string" || typeof o.id === "number");
      const got = await server.probe(RawServer.frame(JSON.stringify(value)), handled ? [o.id as string | number] : []);
      counts.json++;
      const notification = isObject && !("id" in o) && typeof o.method === "string" && o.jsonrpc === "2.0";
      const response = isObject && !("method" in o) && ("result" in o || "error" in o) && o.jsonrpc === "2.0" && (!("id" in o) || o.id === null || ["string", "number"].includes(typeof o.id));
      if (notification || response) {
        expect([i, value, got]).toEqual([i, value, []]);
        continue;
      }
      const id = isObject && (typeof o.id === "string" || typeof o.id === "number") ? o.id : null;
      expect([i, value, got.map((a) => a.id)]).toEqual([i, value, [id]]);
      const a = got[0];
      if (a.error) {
        expect([-32700, -32600, -32601, -32602, 1001, 1002]).toContain(a.error.code);
        expect(a.error.message).not.toContain("[object Object]");
      }
      counts.answered++;
    }
    expect(counts.json).toBe(150);
  });

  test("random params per method: one answer per request, never a crash, never '[object Object]'", async () => {
    for (let i = 0; i < 150; i++) {
      const method = pick(AllMethods);
      let params = validValue(PARAMS[method]) as Record<string, unknown>;
      const paths = fieldPaths(PARAMS[method]);
      // Two changes: a random value for a field, or a field removed, or an unknown field added.
      for (let k = 0; k < 2; k++) {
        const f = pick(paths);
        const r = rnd();
        params = (r < 0.6 ? setAt(params, f.path, randomJson()) : r < 0.8 ? setAt(params, f.path, undefined, true) : { ...params, [randomString()]: randomJson() }) as Record<string, unknown>;
      }
      // Never a real sign-in: an empty session and no identity (a valid shape is then refused by
      // the service's own checks or the sign-in chain, without a network call).
      const ctx = params.context as Record<string, unknown> | undefined;
      if (ctx && typeof ctx === "object" && !Array.isArray(ctx)) {
        ctx.env = {};
        for (const k of ["profile", "azContext"]) if (ctx[k] && typeof ctx[k] === "object" && !Array.isArray(ctx[k])) delete ctx[k];
      }
      const a = await server.call(`p${i}`, method, params);
      counts.params++;
      if (a.error) {
        expect([-32602, 1001, 1002, 1004]).toContain(a.error.code);
        expect(a.error.message).not.toContain("[object Object]");
        if (a.error.code === -32602) expect(a.error.message).toMatch(/ must be | is missing: /);
      }
    }
    expect(counts.params).toBe(150);
  });

  afterAll(() => {
    // The figures for the report.
    process.stderr.write(`malformed.test: random cases (seed ${SEED}): ${counts.junk} junk, ${counts.json} JSON values, ${counts.params} params; ${counts.answered} error answers checked\n`);
  });
});
