import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import { log } from "../log";

/**
 * How many times, and how far apart, a request to Azure (ARM, Entra ID) is tried again when the
 * service throttles (429) or fails (5xx, network errors): after the answer's Retry-After when it
 * has one, else with exponential backoff from 250 ms, jittered, at most 4 s apart.
 *
 * Eight retries ride out a service failing 30% of requests (a request fails only after 9 faults in
 * a row: 0.3^9 ≈ 2e-5), and bound what a dead service costs: about 13 s of backoff, or 8 waits of
 * its Retry-After, then its last answer becomes the error. A refused connection is not retried
 * (refusedConnectionPolicy, below).
 */
export const RETRY = { maxRetries: 8, retryDelayInMs: 250, maxRetryDelayInMs: 4000 } as const;

// ----- a host that refuses connections (issue R, item 7) ---------------------------------------

/**
 * After a connection to a host is refused, requests to it fail at once for this long, without
 * connecting (the first request to it afterwards tries again; any answer ends the refusal at once).
 * Retrying a refused connection costs about 13 s of backoff per request (RETRY), for an endpoint
 * that is usually simply not there (a stopped emulator, a wrong AZTOKENBRIDGE_ARM_ENDPOINT): 2,000
 * piped inputs at 16 at a time took half an hour.
 */
export const REFUSED_HOLD_MS = 5_000;

export const CONNECTION_POLICY_NAME = "aztokenbridgeRefusedConnections";

/** Per origin (scheme, host, port): when its last connection was refused. */
const refusedAt = new Map<string, number>();

/** Forgets every refusal (tests). */
export function clearRefusedConnections(): void {
  refusedAt.clear();
}

function refusedCode(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== "object" || depth > 4) return false;
  const err = e as { code?: unknown; cause?: unknown; errors?: unknown };
  if (err.code === "ECONNREFUSED") return true;
  if (Array.isArray(err.errors) && err.errors.some((x) => refusedCode(x, depth + 1))) return true;
  return refusedCode(err.cause, depth + 1);
}

/**
 * The input's error for a refused connection: a plain Error (not a RestError, so that the SDK's
 * retry policy throws it at once) with code ECONNREFUSED (a NetworkError, src/rpc/errors.ts).
 */
function refusedError(origin: string, ago: number | undefined): Error {
  const what =
    ago === undefined
      ? `Could not connect to ${origin}: the connection was refused (ECONNREFUSED).`
      : `Not sent to ${origin}: a connection to it was refused ${(ago / 1000).toFixed(1)} s ago (ECONNREFUSED).`;
  return Object.assign(
    new Error(
      `${what} Nothing is listening there, or something refuses the connection: check the endpoint (AZTOKENBRIDGE_ARM_ENDPOINT, AZURE_AUTHORITY_HOST, ` +
        `the cloud) and that the service runs. After a refusal, requests to it fail at once for ${REFUSED_HOLD_MS / 1000} s instead of being retried.`,
    ),
    { name: "ConnectionRefusedError", code: "ECONNREFUSED" },
  );
}

/**
 * Position "perRetry" (each attempt, inside the SDK's retries): a request to an origin that refused
 * a connection less than REFUSED_HOLD_MS ago fails at once; a refused connection fails its request
 * at once too (not retried) and starts that time. Other network errors and every answer are left
 * to the retry policy as before.
 */
export function refusedConnectionPolicy(): PipelinePolicy {
  return {
    name: CONNECTION_POLICY_NAME,
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const u = new URL(request.url);
      const origin = `${u.protocol}//${u.host}`;
      const at = refusedAt.get(origin);
      if (at !== undefined) {
        const ago = Date.now() - at;
        if (ago < REFUSED_HOLD_MS) throw refusedError(origin, ago);
      }
      try {
        const response = await next(request);
        refusedAt.delete(origin);
        return response;
      } catch (e) {
        if (!refusedCode(e)) throw e;
        refusedAt.set(origin, Date.now());
        log().verbose(`connection to ${origin} refused (${request.method} ${u.pathname}): requests to it fail at once for ${REFUSED_HOLD_MS / 1000} s`);
        throw refusedError(origin, undefined);
      }
    },
  };
}

/** For the `additionalPolicies` of every client that calls Azure (ARM clients, credentials). */
export function connectionPolicies(): Array<{ policy: PipelinePolicy; position: "perCall" | "perRetry" }> {
  return [{ policy: refusedConnectionPolicy(), position: "perRetry" }];
}
