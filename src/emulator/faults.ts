/**
 * Fault injection (`POST /_emulator/faults`): the next N requests that match get a canned error
 * (throttling, server errors, dropped connections) instead of the real answer.
 *
 * The response envelope is the emulated service's own (ARM `{"error":{code,message}}`, the
 * Entra ID `{error, error_description, …}` form, the managed identity endpoint's
 * `{statusCode, message, correlationId}`); server.ts asks the service to build it.
 */
import type { RequestContext } from "./http";
import { isPlainObject, newGuid } from "./util";

export const FAULT_SERVICES = ["arm", "entra", "identity", "oidc"] as const;

export interface FaultMatch {
  service?: (typeof FAULT_SERVICES)[number];
  /** HTTP method, case-insensitive. */
  method?: string;
  /** Substring of the decoded path, case-insensitive. */
  pathContains?: string;
}

export interface FaultSpec {
  match: FaultMatch;
  /** HTTP status to answer with (ignored when `reset` is true). */
  status: number;
  /** Sets `Retry-After` (seconds). 429 always carries one: default 1. */
  retryAfterSeconds?: number;
  /** How many matching requests get the fault; default 1. */
  count?: number;
  /** Replaces the service's error envelope: an object/array is sent as JSON, a string as text. */
  body?: unknown;
  /** Destroy the connection instead of answering. */
  reset?: boolean;
  /** Answer after this many ms instead of the emulator's latency (e.g. one fast failure among slow calls). */
  latencyMs?: number;
  /** Fault only this share of the matching requests (0 < p ≤ 1), drawn per request; `count` then
   * counts the faulted ones. Default 1: every matching request. */
  probability?: number;
  /** Seed of the draws, so a run can be repeated (default: random). */
  seed?: number;
}

export interface FaultRecord extends FaultSpec {
  id: string;
  /** Requests still to be faulted. */
  remaining: number;
  /** Requests faulted so far. */
  hits: number;
  createdAt: string;
}

export type FaultParse = { ok: true; spec: FaultSpec } | { ok: false; message: string };

/** Validates a fault posted to the control API. */
export function parseFaultSpec(value: unknown): FaultParse {
  if (!isPlainObject(value)) return { ok: false, message: "The body must be a JSON object." };
  const match = value.match ?? {};
  if (!isPlainObject(match)) return { ok: false, message: "'match' must be an object." };
  const service = match.service;
  if (service !== undefined && !(FAULT_SERVICES as readonly unknown[]).includes(service)) {
    return { ok: false, message: "'match.service' must be 'arm', 'entra', 'identity' or 'oidc'." };
  }
  for (const name of ["method", "pathContains"] as const) {
    if (match[name] !== undefined && typeof match[name] !== "string") {
      return { ok: false, message: `'match.${name}' must be a string.` };
    }
  }
  const reset = value.reset === true;
  const status = value.status;
  if (!reset && !(typeof status === "number" && Number.isInteger(status) && status >= 400 && status <= 599)) {
    return { ok: false, message: "'status' must be an integer HTTP error status (400-599), or set 'reset': true." };
  }
  const count = value.count ?? 1;
  if (!(typeof count === "number" && Number.isInteger(count) && count >= 1)) {
    return { ok: false, message: "'count' must be an integer >= 1." };
  }
  const retryAfter = value.retryAfterSeconds;
  if (retryAfter !== undefined && !(typeof retryAfter === "number" && Number.isInteger(retryAfter) && retryAfter >= 0)) {
    return { ok: false, message: "'retryAfterSeconds' must be an integer >= 0." };
  }
  const latencyMs = value.latencyMs;
  if (latencyMs !== undefined && !(typeof latencyMs === "number" && Number.isInteger(latencyMs) && latencyMs >= 0 && latencyMs <= 600_000)) {
    return { ok: false, message: "'latencyMs' must be an integer from 0 to 600000." };
  }
  const probability = value.probability;
  if (probability !== undefined && !(typeof probability === "number" && probability > 0 && probability <= 1)) {
    return { ok: false, message: "'probability' must be a number greater than 0 and at most 1." };
  }
  const seed = value.seed;
  if (seed !== undefined && !(typeof seed === "number" && Number.isInteger(seed))) {
    return { ok: false, message: "'seed' must be an integer." };
  }
  return {
    ok: true,
    spec: {
      match: {
        service: service as FaultMatch["service"],
        method: match.method as string | undefined,
        pathContains: match.pathContains as string | undefined,
      },
      status: reset ? 0 : (status as number),
      retryAfterSeconds: retryAfter as number | undefined,
      count,
      body: value.body,
      reset,
      latencyMs: latencyMs as number | undefined,
      probability: probability as number | undefined,
      seed: seed as number | undefined,
    },
  };
}

/** mulberry32: a small seeded PRNG (uniform in [0, 1)), so that probabilistic faults can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultStore {
  private faults: FaultRecord[] = [];
  private readonly draws = new Map<string, () => number>();

  add(spec: FaultSpec): FaultRecord {
    const record: FaultRecord = { ...spec, id: newGuid(), remaining: spec.count ?? 1, hits: 0, createdAt: new Date().toISOString() };
    this.faults.push(record);
    if (spec.probability !== undefined) this.draws.set(record.id, seededRandom(spec.seed ?? Math.floor(Math.random() * 2 ** 31)));
    return record;
  }

  /** The first active fault matching the request (and drawn, for a probabilistic one), consumed by one; undefined when none. */
  take(ctx: RequestContext): FaultRecord | undefined {
    const path = ctx.segments.join("/").toLowerCase();
    const fault = this.faults.find(
      (f) => f.remaining > 0 && matches(f.match, ctx, path) && (f.probability === undefined || this.draws.get(f.id)!() < f.probability),
    );
    if (!fault) return undefined;
    fault.remaining--;
    fault.hits++;
    if (fault.remaining === 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }

  list(): FaultRecord[] {
    return this.faults.map((f) => ({ ...f }));
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
  }
}

function matches(m: FaultMatch, ctx: RequestContext, lowerPath: string): boolean {
  if (m.service && m.service !== ctx.service) return false;
  if (m.method && m.method.toUpperCase() !== ctx.method) return false;
  if (m.pathContains) {
    const needle = m.pathContains.toLowerCase().replace(/^\/+/, "");
    if (!lowerPath.includes(needle) && !ctx.rawPath.toLowerCase().includes(m.pathContains.toLowerCase())) return false;
  }
  return true;
}
