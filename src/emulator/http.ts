/**
 * Transport-neutral request/response types used by every emulator handler.
 * Handlers return an EmulatorResponse; server.ts adds latency, logs and writes it.
 */
import type { IncomingHttpHeaders } from "http";

/**
 * entra: Entra ID; arm: Resource Manager; identity: the App Service managed identity endpoint (/msi);
 * oidc: the workload identity OIDC issuer (/oidc); control: the control API (/_emulator).
 */
export type ServiceKind = "entra" | "arm" | "identity" | "oidc" | "control";

export interface RequestContext {
  /** Sequence number of the request (1-based, per emulator). */
  readonly seq: number;
  /** Upper-case HTTP method. */
  readonly method: string;
  readonly url: URL;
  /** Path exactly as received (still percent-encoded). */
  readonly rawPath: string;
  /** Path segments, percent-decoded, without empty segments at the ends. */
  readonly segments: string[];
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** `https://127.0.0.1:<port>` */
  readonly origin: string;
  readonly receivedAt: number;
  readonly service: ServiceKind;
  /** Extra, non-secret facts a handler wants in the request log (grant type, client id, subscription…). */
  readonly logExtras: Record<string, string | number | boolean | undefined>;
}

export interface EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Destroy the socket instead of answering (fault injection). */
  resetConnection?: boolean;
}

export function header(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.headers[name.toLowerCase()];
  if (Array.isArray(value)) return value[0];
  return value;
}

/** Compact JSON body with the given status and headers (Content-Type defaults to JSON, UTF-8). */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse {
  return {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
    body: body === undefined ? "" : JSON.stringify(body),
  };
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): EmulatorResponse {
  return { status, headers: { ...headers } };
}

/** Splits and percent-decodes a path; a segment that cannot be decoded is kept as received. */
export function splitPath(pathname: string): string[] {
  return pathname
    .split("/")
    .filter((s, i, all) => !(s === "" && (i === 0 || i === all.length - 1)))
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

export function parseJsonBody(ctx: RequestContext): { ok: true; value: unknown } | { ok: false; error: string } {
  const text = ctx.body.toString("utf8").replace(/^\uFEFF/, "");
  if (text.trim() === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}
