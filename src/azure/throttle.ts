/**
 * One throttle for all the requests to an ARM subscription (issue D, "no retry storm"): when ARM
 * answers 429 (or 503) with Retry-After to one request, every other request to the same host and
 * subscription — new ones, and the SDK's own retries — is held until that time, instead of each
 * going out on its own schedule and drawing more 429s. A per-attempt pipeline policy
 * (position "perRetry", after the SDK's retry policies, which still retry the throttled request
 * itself after its Retry-After). A held request that is cancelled ($/cancelRequest) stops waiting.
 */
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";

/** A policy for a client's `additionalPolicies` (the shape @azure/core-client and @azure-rest/core-client take). */
export interface AdditionalPolicyConfig {
  policy: PipelinePolicy;
  position: "perCall" | "perRetry";
}

export const THROTTLE_POLICY_NAME = "aztokenbridgeThrottleGate";

/** Until when (epoch ms) each host + subscription is held. */
const heldUntil = new Map<string, number>();

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

/** Records that `key` is throttled until `until` (the later of two holds wins). */
export function holdUntil(key: string, until: number): void {
  if ((heldUntil.get(key) ?? 0) < until) heldUntil.set(key, until);
}

/** How long a request to `key` must still wait (0: none); forgets holds that are over. */
export function heldFor(key: string, now = Date.now()): number {
  const until = heldUntil.get(key);
  if (until === undefined) return 0;
  if (until <= now) {
    heldUntil.delete(key);
    return 0;
  }
  return until - now;
}

/** Forgets every hold (tests). */
export function clearThrottleHolds(): void {
  heldUntil.clear();
}

function wait(ms: number, signal: PipelineRequest["abortSignal"]): Promise<void> {
  return new Promise((resolve, reject) => {
    const abortError = () => Object.assign(new Error("The operation was aborted."), { name: "AbortError" });
    if (signal?.aborted) return reject(abortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function throttleGatePolicy(): PipelinePolicy {
  return {
    name: THROTTLE_POLICY_NAME,
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const key = throttleKey(request.url);
      // Held by a 429 seen meanwhile: wait again (another answer may have moved the time on).
      for (let ms = heldFor(key); ms > 0; ms = heldFor(key)) await wait(ms, request.abortSignal);
      const response = await next(request);
      if (response.status === 429 || response.status === 503) {
        const ms = retryAfterMs(response.headers);
        if (ms !== undefined && ms > 0) holdUntil(key, Date.now() + ms);
      }
      return response;
    },
  };
}

/** For the `additionalPolicies` of every ARM client (src/azure/arm.ts). */
export function throttlePolicies(): AdditionalPolicyConfig[] {
  return [{ policy: throttleGatePolicy(), position: "perRetry" }];
}
