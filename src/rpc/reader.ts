/**
 * The server's message reader: Content-Length framing, JSON and the JSON-RPC envelope, checked
 * before vscode-jsonrpc sees a message. (vscode-jsonrpc's own StreamMessageReader drops a body
 * that is not JSON without an answer, ends the connection on a malformed header, and hands any
 * JSON value on.) What is wrong is answered at once through `reject`, with JSON-RPC's codes, and
 * the reader carries on with the next message:
 *
 *   body not UTF-8 / not JSON                        -32700 Parse error, id null
 *   malformed header (a line that is not            -32700 Parse error, id null, once; then the
 *     `Name: value`, no Content-Length, a length      reader resynchronises at the next
 *     that is not a decimal number, more than         "Content-Length:" in the stream (a JSON body
 *     8 KiB without the blank line)                   cannot contain that followed by CRLF CRLF)
 *   Content-Length above 16 MiB                      -32600 Invalid Request, id null; the frame's
 *                                                    bytes are counted off unread, so the next frame is served
 *   a JSON value that is not an object, a batch      -32600 Invalid Request, id null (batches are
 *                                                    not supported: vscode-jsonrpc has no batch support
 *                                                    and the module never sends one)
 *   jsonrpc not "2.0", method not a string,          -32600 Invalid Request, with the id when it is a
 *     id not a string or number                        string or number, else null
 *   a response (result/error, no method)             not answered (the server sends no requests, so
 *                                                    none is due, and answering one could loop); logged
 *   a notification other than $/cancelRequest,       not answered (JSON-RPC never answers a
 *     or $/cancelRequest without {id}                  notification); logged
 *
 * Messages never appear in what is logged or answered: only what was wrong with them (a header or
 * body may hold a secret).
 */
import { AbstractMessageReader, DataCallback, Disposable, Message, MessageReader } from "vscode-jsonrpc";
import type { Readable } from "node:stream";

export const ErrorCodes = { ParseError: -32700, InvalidRequest: -32600 } as const;

/** Largest body accepted; the module's requests are a few kilobytes. */
export const MAX_CONTENT_LENGTH = 16 * 1024 * 1024;
/** Longest header block (all lines) accepted before its blank line. */
export const MAX_HEADER_LENGTH = 8 * 1024;

export interface Rejection {
  /** The request's id when it could be read, else null. */
  id: string | number | null;
  code: number;
  message: string;
}

export interface ReaderEvents {
  /** A message that must be answered with an error. */
  reject(r: Rejection): void;
  /** Something dropped without an answer (a response, an unknown notification). */
  ignored(reason: string): void;
  /** A request handed on to the connection (for the request log). */
  request?(id: string | number, method: string): void;
}

const CONTENT_LENGTH = Buffer.from("content-length:", "ascii");
const CRLF = Buffer.from("\r\n", "ascii");
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;
/** A byte that can be in no header line: outside visible ASCII, space and tab (a line ends at CRLF). */
const NOT_HEADER_BYTE = /[^\t\x20-\x7e]/;

/**
 * `resumeAt`: where to look for the next "Content-Length:" after a bad line: just after the line's
 * first byte (not after the line: a line without its CRLF may have run into the next header).
 */
type HeaderResult =
  | { kind: "incomplete" }
  | { kind: "bad"; reason: string; resumeAt?: number }
  | { kind: "ok"; headerLength: number; contentLength: number };

/** Index of the ASCII `needle` in `haystack` from `from`, ignoring case. */
function indexOfIgnoreCase(haystack: Buffer, needle: Buffer, from: number): number {
  const first = [needle[0], needle[0] ^ 0x20];
  for (let i = from; i <= haystack.length - needle.length; i++) {
    if (haystack[i] !== first[0] && haystack[i] !== first[1]) continue;
    let j = 1;
    for (; j < needle.length; j++) {
      const c = haystack[i + j];
      const n = needle[j];
      if (c !== n && !(n >= 0x61 && n <= 0x7a && c === n - 0x20)) break;
    }
    if (j === needle.length) return i;
  }
  return -1;
}

/** Reads one header block at the start of `b`. */
export function parseHeader(b: Buffer): HeaderResult {
  let contentLength: number | undefined;
  let start = 0;
  for (;;) {
    const eol = b.indexOf(CRLF, start);
    if (eol > MAX_HEADER_LENGTH) return { kind: "bad", reason: `no end of header within ${MAX_HEADER_LENGTH} bytes`, resumeAt: start + 1 };
    if (eol < 0) {
      // An incomplete line: wrong as soon as it holds a byte no header line can hold.
      // (A CR at its very end may be the first half of the line's CRLF.)
      let rest = b.subarray(start, MAX_HEADER_LENGTH + 1).toString("latin1");
      if (rest.endsWith("\r")) rest = rest.slice(0, -1);
      if (NOT_HEADER_BYTE.test(rest)) return { kind: "bad", reason: "a header line holds a byte that is not visible ASCII", resumeAt: start + 1 };
      const colon = rest.indexOf(":");
      const name = colon < 0 ? rest : rest.slice(0, colon);
      if (name !== "" && !TOKEN.test(name)) return { kind: "bad", reason: "a header line is not 'Name: value'", resumeAt: start + 1 };
      if (b.length > MAX_HEADER_LENGTH) return { kind: "bad", reason: `no end of header within ${MAX_HEADER_LENGTH} bytes` };
      return { kind: "incomplete" };
    }
    const line = b.subarray(start, eol).toString("latin1");
    if (line === "") {
      if (start === 0) return { kind: "bad", reason: "an empty header (a blank line where Content-Length was expected)", resumeAt: 1 };
      if (contentLength === undefined) return { kind: "bad", reason: "the header has no Content-Length", resumeAt: 1 };
      return { kind: "ok", headerLength: eol + 2, contentLength };
    }
    const colon = line.indexOf(":");
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon)) || !FIELD_VALUE.test(line.slice(colon + 1))) {
      return { kind: "bad", reason: "a header line is not 'Name: value'", resumeAt: start + 1 };
    }
    if (line.slice(0, colon).toLowerCase() === "content-length") {
      const value = line.slice(colon + 1).trim();
      if (!/^\d{1,15}$/.test(value)) return { kind: "bad", reason: "Content-Length is not a decimal number", resumeAt: start + 1 };
      const n = Number(value);
      if (contentLength !== undefined && contentLength !== n) return { kind: "bad", reason: "two different Content-Length values", resumeAt: start + 1 };
      contentLength = n;
    }
    start = eol + 2;
    if (start > MAX_HEADER_LENGTH) return { kind: "bad", reason: `no end of header within ${MAX_HEADER_LENGTH} bytes` };
  }
}

function usableId(id: unknown): string | number | null {
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : null;
}

/** Checks a parsed body: a request or notification to hand on, or what to do instead. */
export function checkEnvelope(value: unknown):
  | { kind: "message"; message: Message }
  | { kind: "reject"; rejection: Rejection }
  | { kind: "ignore"; reason: string } {
  const invalid = (message: string, id: string | number | null = null) =>
    ({ kind: "reject", rejection: { id, code: ErrorCodes.InvalidRequest, message: `Invalid Request: ${message}.` } }) as const;
  if (Array.isArray(value)) {
    return invalid(value.length === 0 ? "an empty batch" : "batches are not supported; send one request per message");
  }
  if (typeof value !== "object" || value === null) {
    return invalid(`a message must be a JSON object, got ${value === null ? "null" : typeof value}`);
  }
  const m = value as Record<string, unknown>;
  const hasId = Object.hasOwn(m, "id");
  const id = hasId ? usableId(m.id) : null;
  if (hasId && m.id !== null && id === null) return invalid("id must be a string or a number");
  if (m.jsonrpc !== "2.0") return invalid('jsonrpc must be "2.0"', id);
  if (!Object.hasOwn(m, "method")) {
    if (Object.hasOwn(m, "result") || Object.hasOwn(m, "error")) return { kind: "ignore", reason: "a response (the server sends no requests)" };
    return invalid("method is missing", id);
  }
  if (typeof m.method !== "string") return invalid("method must be a string", id);
  if (hasId && m.id === null) return invalid("id null is not supported; use a string or a number");
  if (Object.hasOwn(m, "params") && (typeof m.params !== "object" || m.params === null) && !hasId) {
    return { kind: "ignore", reason: "a notification whose params are not structured" };
  }
  if (!hasId) {
    if (m.method !== "$/cancelRequest") return { kind: "ignore", reason: "a notification the server does not handle" };
    const p = m.params as Record<string, unknown> | undefined;
    if (!p || Array.isArray(p) || usableId(p.id) === null) return { kind: "ignore", reason: "a $/cancelRequest without {id}" };
  }
  return { kind: "message", message: m as unknown as Message };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export class FramedMessageReader extends AbstractMessageReader implements MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Body length awaited, or -1 while reading a header. */
  private bodyLength = -1;
  /** Bytes of an oversized frame still to be dropped. */
  private skipping = 0;
  /** Set after a malformed header, until a good one: one answer per stretch of garbage. */
  private resyncing = false;
  private callback: DataCallback | undefined;

  constructor(
    private readonly input: Readable,
    private readonly events: ReaderEvents,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer) => this.onData(chunk);
    const onError = (e: Error) => this.fireError(e);
    const onClose = () => this.fireClose();
    this.input.on("data", onData);
    this.input.on("error", onError);
    this.input.on("end", onClose);
    this.input.on("close", onClose);
    return {
      dispose: () => {
        this.input.off("data", onData);
        this.input.off("error", onError);
        this.input.off("end", onClose);
        this.input.off("close", onClose);
      },
    };
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return head;
  }

  private flat(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private onData(chunk: Buffer): void {
    if (this.skipping > 0) {
      const n = Math.min(this.skipping, chunk.length);
      this.skipping -= n;
      chunk = chunk.subarray(n);
      if (chunk.length === 0) return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.bodyLength >= 0) {
        if (this.buffered < this.bodyLength) return;
        const body = this.take(this.bodyLength);
        this.bodyLength = -1;
        this.onBody(body);
        continue;
      }
      if (this.buffered === 0) return;
      const b = this.flat();
      const h = parseHeader(b);
      if (h.kind === "incomplete") return;
      if (h.kind === "bad") {
        if (!this.resyncing) {
          this.resyncing = true;
          this.events.reject({ id: null, code: ErrorCodes.ParseError, message: `Parse error: malformed header: ${h.reason}.` });
        }
        // The next header starts at a "Content-Length:" after the start of the bad line (not
        // earlier: in "Content-Length: 2\r\nContent-Length: 3" the 2nd line is the bad one).
        const next = indexOfIgnoreCase(b, CONTENT_LENGTH, h.resumeAt ?? 1);
        if (next >= 0) {
          this.take(next);
          continue;
        }
        // Keep only what could be the start of "Content-Length:".
        this.take(Math.max(h.resumeAt ?? 0, b.length - (CONTENT_LENGTH.length - 1)));
        return;
      }
      this.resyncing = false;
      this.take(h.headerLength);
      if (h.contentLength > MAX_CONTENT_LENGTH) {
        this.events.reject({
          id: null,
          code: ErrorCodes.InvalidRequest,
          message: `Invalid Request: a message of ${h.contentLength} bytes is over the limit of ${MAX_CONTENT_LENGTH} bytes; it was skipped.`,
        });
        const n = Math.min(h.contentLength, this.buffered);
        this.take(n);
        this.skipping = h.contentLength - n;
        if (this.skipping > 0) return;
        continue;
      }
      this.bodyLength = h.contentLength;
    }
  }

  private onBody(body: Buffer): void {
    let value: unknown;
    try {
      value = JSON.parse(utf8.decode(body));
    } catch (e) {
      const where = /position (\d+)/.exec((e as Error).message ?? "")?.[1];
      const what = e instanceof SyntaxError ? `the body is not valid JSON${where ? ` (at character ${where})` : ""}` : "the body is not valid UTF-8";
      this.events.reject({ id: null, code: ErrorCodes.ParseError, message: `Parse error: ${what}.` });
      return;
    }
    const checked = checkEnvelope(value);
    if (checked.kind === "reject") {
      this.events.reject(checked.rejection);
      return;
    }
    if (checked.kind === "ignore") {
      this.events.ignored(checked.reason);
      return;
    }
    const m = checked.message as unknown as { id?: string | number; method: string };
    if (m.id !== undefined) this.events.request?.(m.id, m.method);
    try {
      this.callback?.(checked.message);
    } catch (e) {
      this.fireError(e as Error);
    }
  }
}
