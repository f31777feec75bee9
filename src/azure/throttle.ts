/**
 * One throttle for all the requests to an ARM subscription (issue D, "no retry storm"): when ARM
 * answers 429 (or 503) with Retry-After to one request, every other request to the same host and
 * subscription — new ones, and the SDK's own retries — is held until that time, instead of each
 * going out on its own schedule and drawing more 429s. A per-attempt pipeline policy
 * (position "perRetry", after the SDK's retry policies, which still retry the throttled request
 * itself after its Retry-After). A held request that is cancelled ($/cancelRequest) stops waiting.
 *
 * Bounded (issue R, item 6): a hold belongs to the call that got the 429 and goes when that call
 * ends or is cancelled (throttleReleasePolicy, "perCall"), so that a cancelled call holds nobody;
 * a Retry-After over MAX_RETRY_AFTER_MS (120 s) is not waited at all: the input fails with the
 * service's 429. Every wait is logged at verbose (why, and how long).
 */
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import { log } from "../log";

/** A policy for a client's `additionalPolicies` (the shape @azure/core-client and @azure-rest/core-client take). */
export interface AdditionalPolicyConfig {
  policy: PipelinePolicy;
  position: "perCall" | "perRetry";
}

export const THROTTLE_POLICY_NAME = "aztokenbridgeThrottleGate";

/**
 * The longest Retry-After this bridge waits, in ms. A service asking for more (a day, say) gets its
 * 429 back as the input's error (a ServiceError with its code and message) at once: no hold, no
 * retry.
 */
export const MAX_RETRY_AFTER_MS = 120_000;

/**
 * A hold: requests to `key` wait until `until` (epoch ms). It belongs to the call that got the 429
 * (`owner`, its PipelineRequest), whose own retry waits out the same time: when that call ends
 * (answered, failed, or cancelled) or sends its retry, the hold goes and every request it held
 * goes on at once. A hold without an owner lasts until its time.
 */
interface Hold {
  key: string;
  until: number;
  /** The wait the service asked for, in ms (for the log). */
  asked: number;
  owner?: object;
}

const holds = new Map<string, Set<Hold>>();
/** Wakes the requests waiting on a key when one of its holds goes. */
const waiters = new Map<string, Set<() => void>>();

/** The key a request is held by: scheme, host and port, and the subscription of its path, if any. */
export function throttleKey(url: string): string {
  const u = new URL(url);
  const sub = /^\/subscriptions\/([^/?#]+)/i.exec(u.pathname);
  return `${u.protocol}//${u.host.toLowerCase()}${sub ? `/subscriptions/${decodeURIComponent(sub[1]).toLowerCase()}` : ""}`;
}

/**
 * The wait a throttled answer asks for, in ms: retry-after-ms, x-ms-retry-after-ms, then Retry-After
 * (seconds or an HTTP date); undefined when none is given or it cannot be read.
 */
export function retryAfterMs(headers: { get(name: string): string | undefined }, now = Date.now()): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const v = headers.get(name);
    if (v !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.max(0, Number(v));
  }
  const v = headers.get("retry-after");
  if (v === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.max(0, Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Records that `key` is throttled until `until` (the latest hold of a key wins), held by `owner`'s call. */
export function holdUntil(key: string, until: number, owner?: object, asked = 0): void {
  let set = holds.get(key);
  if (!set) holds.set(key, (set = new Set()));
  for (const h of set) {
    if (h.owner !== undefined && h.owner === owner) set.delete(h);
  }
  set.add({ key, until, asked, owner });
}

/** The hold that keeps `key` waiting longest at `now`, if any; forgets holds that are over. */
function longestHold(key: string, now: number): Hold | undefined {
  const set = holds.get(key);
  if (!set) return undefined;
  let longest: Hold | undefined;
  for (const h of set) {
    if (h.until <= now) set.delete(h);
    else if (!longest || h.until > longest.until) longest = h;
  }
  if (set.size === 0) holds.delete(key);
  return longest;
}

/** How long a request to `key` must still wait (0: none); forgets holds that are over. */
export function heldFor(key: string, now = Date.now()): number {
  const h = longestHold(key, now);
  return h ? h.until - now : 0;
}

/** Drops every hold `owner`'s call made (it ended, or sent its retry) and wakes who waited on them. */
export function releaseHolds(owner: object): void {
  for (const [key, set] of holds) {
    let changed = false;
    for (const h of set) {
      if (h.owner === owner) {
        set.delete(h);
        changed = true;
      }
    }
    if (set.size === 0) holds.delete(key);
    if (changed) for (const wake of [...(waiters.get(key) ?? [])]) wake();
  }
}

/** Forgets every hold (tests). */
export function clearThrottleHolds(): void {
  holds.clear();
  for (const set of waiters.values()) for (const wake of [...set]) wake();
}

/** Waits `ms`, or until a hold of `key` goes; rejects with an AbortError when the request is cancelled. */
function wait(key: string, ms: number, signal: PipelineRequest["abortSignal"]): Promise<void> {
  return new Promise((resolve, reject) => {
    const abortError = () => Object.assign(new Error("The operation was aborted."), { name: "AbortError" });
    if (signal?.aborted) return reject(abortError());
    let set = waiters.get(key);
    if (!set) waiters.set(key, (set = new Set()));
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      set!.delete(wake);
      if (set!.size === 0 && waiters.get(key) === set) waiters.delete(key);
    };
    const wake = () => {
      done();
      resolve();
    };
    const onAbort = () => {
      done();
      reject(abortError());
    };
    const timer = setTimeout(wake, ms);
    set.add(wake);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const RETRY_AFTER_HEADERS = ["retry-after-ms", "x-ms-retry-after-ms", "retry-after"];

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** A request for the log: its method and URL without the query (no signatures, no values). */
function shown(request: PipelineRequest): string {
  const u = new URL(request.url);
  return `${request.method} ${u.protocol}//${u.host}${u.pathname}`;
}

/**
 * The wait before each attempt (position "perRetry"): held while the key has a hold (woken early
 * when it goes), then sent; a 429/503 with Retry-After makes a hold owned by this call. A
 * Retry-After over MAX_RETRY_AFTER_MS makes no hold, and its Retry-After headers are removed so
 * that the SDK's retry policy does not wait it out either: a 429 becomes the input's error (a 503
 * is retried with backoff, as a 503 without Retry-After is).
 */
export function throttleGatePolicy(): PipelinePolicy {
  return {
    name: THROTTLE_POLICY_NAME,
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const key = throttleKey(request.url);
      // This call's own hold is over: its retry policy waited it out and is sending again.
      releaseHolds(request);
      // Held by a 429 seen meanwhile: wait again (another answer may have moved the time on).
      const started = Date.now();
      let logged = false;
      for (let hold = longestHold(key, Date.now()); hold; hold = longestHold(key, Date.now())) {
        if (!logged && log().enabled("verbose")) {
          logged = true;
          log().verbose(
            `throttle: ${shown(request)} waits up to ${seconds(hold.until - Date.now())} before it is sent: ` +
              `${key} answered 429 to another request and asked to retry after ${seconds(hold.asked)}`,
          );
        }
        await wait(key, hold.until - Date.now(), request.abortSignal);
      }
      if (logged) log().verbose(`throttle: ${shown(request)} waited ${seconds(Date.now() - started)}; sending it`);
      const response = await next(request);
      if (response.status === 429 || response.status === 503) {
        const ms = retryAfterMs(response.headers);
        if (ms !== undefined && ms > MAX_RETRY_AFTER_MS) {
          for (const name of RETRY_AFTER_HEADERS) response.headers.delete(name);
          log().info(
            `throttle: ${shown(request)}: ${response.status} asking to retry after ${seconds(ms)}, more than the ${seconds(MAX_RETRY_AFTER_MS)} this bridge waits: ` +
              (response.status === 429 ? "not retried; the input fails with the service's answer" : "retried with backoff, not after its Retry-After"),
          );
        } else if (ms !== undefined && ms > 0) {
          holdUntil(key, Date.now() + ms, request, ms);
          log().verbose(`throttle: ${shown(request)}: ${response.status} with Retry-After ${seconds(ms)}; requests to ${key} wait until then, or until this call ends`);
        }
      }
      return response;
    },
  };
}

/**
 * Around the whole call (position "perCall", outside the SDK's retries): when the call ends — an
 * answer, an error, or a cancel (the retry policy's wait rejects on abort) — its holds go.
 */
export function throttleReleasePolicy(): PipelinePolicy {
  return {
    name: `${THROTTLE_POLICY_NAME}Release`,
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      try {
        return await next(request);
      } finally {
        releaseHolds(request);
      }
    },
  };
}

/** For the `additionalPolicies` of every ARM client (src/azure/arm.ts). */
export function throttlePolicies(): AdditionalPolicyConfig[] {
  return [
    { policy: throttleReleasePolicy(), position: "perCall" },
    { policy: throttleGatePolicy(), position: "perRetry" },
  ];
}
