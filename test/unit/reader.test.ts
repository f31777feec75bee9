/**
 * The server's message reader (src/rpc/reader.ts) in-process: the same bytes give the same
 * messages and the same error answers however the stream cuts them into chunks (one byte at a
 * time, small pieces, random pieces, all at once).
 */
import { PassThrough } from "node:stream";
import { FramedMessageReader, MAX_CONTENT_LENGTH, parseHeader, Rejection } from "../../src/rpc/reader";

function frame(body: string | Buffer): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
  return Buffer.concat([Buffer.from(`Content-Length: ${b.length}\r\n\r\n`, "ascii"), b]);
}

const hello = (id: number) => frame(JSON.stringify({ jsonrpc: "2.0", id, method: "bridge/hello", params: {} }));

/** Feeds `bytes` in chunks of the given sizes (cycled); returns what the reader made of them. */
function read(bytes: Buffer, sizes: number[]): { messages: unknown[]; rejections: Rejection[]; ignored: string[] } {
  const input = new PassThrough();
  const out = { messages: [] as unknown[], rejections: [] as Rejection[], ignored: [] as string[] };
  const reader = new FramedMessageReader(input, { reject: (r) => out.rejections.push(r), ignored: (r) => out.ignored.push(r) });
  reader.listen((m) => out.messages.push(m));
  let i = 0;
  for (let at = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]);
    input.emit("data", bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

const CASES: [string, Buffer | string, number][] = [
  // name, bytes before two hello requests, number of error answers expected
  ["nothing", "", 0],
  ["bad JSON", frame("{bad"), 1],
  ["a batch", frame("[1]"), 1],
  ["garbage line", "garbage\r\n", 1],
  ["no Content-Length", "Content-Type: x\r\n\r\n{}", 1],
  ["non-numeric length", "Content-Length: abc\r\n\r\n{}", 1],
  ["two lengths", "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 1],
  ["blank line", "\r\n", 1],
  ["LF only", "Content-Length: 2\n\n{}", 1],
  ["letters", "abc", 1],
  ["letters and a colon", "abc: d", 1],
  ["binary", Buffer.from([0, 0xff, 0x80, 0x1b, 0x0a]), 1],
  ["20 KiB of letters", "a".repeat(20_000), 1],
  ["a long header line", "X-Pad: " + "a".repeat(20_000), 1],
  ["an unknown header field", "X-Unknown: 1\r\n", 0],
  ["an oversized frame", Buffer.concat([Buffer.from(`Content-Length: ${MAX_CONTENT_LENGTH + 1}\r\n\r\n`), Buffer.alloc(MAX_CONTENT_LENGTH + 1, 0x20)]), 1],
];

describe.each(CASES)("%s, then two requests", (_name, before, errors) => {
  const bytes = Buffer.concat([Buffer.from(before), hello(1), hello(2)]);
  const big = bytes.length > 1_000_000;
  const cuts: [string, number[]][] = [
    ["all at once", [bytes.length]],
    ["in random pieces", Array.from({ length: 50 }, (_, i) => 1 + ((i * 7919) % 97))],
    ...((big ? [["in 64 KiB pieces", [65536]]] : [["in 7-byte pieces", [7]], ["one byte at a time", [1]]]) as [string, number[]][]),
  ];
  test.each(cuts)("%s", (_cut, sizes) => {
    const r = read(bytes, sizes);
    expect(r.rejections.map((x) => x.id)).toEqual(Array(errors).fill(null));
    expect(r.messages.map((m) => (m as { id: number }).id)).toEqual([1, 2]);
  });
});

describe("parseHeader", () => {
  test.each([
    ["Content-Length: 12\r\n\r\n", { kind: "ok", headerLength: 22, contentLength: 12 }],
    ["content-length:12\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n", { kind: "ok", contentLength: 12 }],
    ["Content-Length: 12\r\n", { kind: "incomplete" }],
    ["Content-Len", { kind: "incomplete" }],
    ["Content-Length: 1234567890123456\r\n\r\n", { kind: "bad" }],
    ["Content-Length: 1e3\r\n\r\n", { kind: "bad" }],
    ["Content Length: 1\r\n\r\n", { kind: "bad" }],
    [": 1\r\n\r\n", { kind: "bad" }],
  ])("%j", (text, expected) => {
    expect(parseHeader(Buffer.from(text, "latin1"))).toMatchObject(expected);
  });

  test("errors never quote the header (it may hold anything)", () => {
    const r = parseHeader(Buffer.from("Authorization: Bearer eyJsecret\u0001\r\n\r\n", "latin1"));
    expect(r).toMatchObject({ kind: "bad" });
    expect(JSON.stringify(r)).not.toContain("secret");
  });
});
