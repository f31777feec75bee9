import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import { log } from "../log";
import { networkCode, rememberErrorBody } from "../rpc/errors";
import { traceLine } from "../rpc/notify";

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
  failedAt.clear();
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
        failedAt.delete(origin);
        return response;
      } catch (e) {
        if (networkCode(e) !== "ECONNREFUSED") throw e;
        refusedAt.set(origin, Date.now());
        log().verbose(`connection to ${origin} refused (${request.method} ${u.pathname}): requests to it fail at once for ${REFUSED_HOLD_MS / 1000} s`);
        throw refusedError(origin, undefined);
      }
    },
  };
}

// ----- what a failed connection says --------------------------------------------------------

const ENDPOINT_HINT = "check the endpoint (AZTOKENBRIDGE_ARM_ENDPOINT, AZURE_AUTHORITY_HOST, the cloud)";

/** Why a connection to `origin` failed, in words, by the error's code; undefined for a code that is not a connection failure. */
export function connectionFailure(origin: string, code: string): string | undefined {
  const host = new URL(origin).hostname;
  switch (code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NODATA":
    case "EAI_NONAME":
      return `Could not connect to ${origin}: the host name '${host}' could not be resolved (${code}). Check the name, the DNS and proxy settings; ${ENDPOINT_HINT}.`;
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "UNABLE_TO_GET_ISSUER_CERT":
      return (
        `Could not connect to ${origin}: its TLS certificate is not trusted (${code}). ` +
        "A certificate authority of your own (the AzTokenBridge emulator's, which Start-AzTokenBridgeEmulator puts in NODE_EXTRA_CA_CERTS, or a TLS-inspecting proxy's) " +
        "must be named by NODE_EXTRA_CA_CERTS (a PEM file)."
      );
    case "CERT_HAS_EXPIRED":
    case "CERT_NOT_YET_VALID":
      return `Could not connect to ${origin}: its TLS certificate is ${code === "CERT_HAS_EXPIRED" ? "expired" : "not valid yet"} (${code}).`;
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `Could not connect to ${origin}: its TLS certificate is not for the host name '${host}' (${code}); ${ENDPOINT_HINT}.`;
    case "EPROTO":
    case "ERR_SSL_WRONG_VERSION_NUMBER":
    case "ECONNRESET":
      return `Could not connect to ${origin}: the connection was closed during the TLS handshake or before an answer (${code}). Is it an https endpoint? ${ENDPOINT_HINT[0].toUpperCase()}${ENDPOINT_HINT.slice(1)}.`;
    case "ETIMEDOUT":
      return `Could not connect to ${origin}: the connection timed out (${code}). Check the network and proxy settings; ${ENDPOINT_HINT}.`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `Could not connect to ${origin}: no route to the host (${code}). Check the network and proxy settings; ${ENDPOINT_HINT}.`;
    default:
      return undefined;
  }
}

/** Per origin: the last connection failure's words and code, and when (for msal's errors, which drop the cause). */
const failedAt = new Map<string, { text: string; code: string; at: number }>();

/**
 * Why the last connection to this URL's origin failed, when that was within the last minute: msal
 * reports an unreachable authority only as endpoints_resolution_error, without the socket error
 * this pipeline saw (src/azure/credentials.ts signInFailed).
 */
export function recentConnectionFailure(url: string | undefined): { text: string; code: string } | undefined {
  if (!url) return undefined;
  let origin: string;
  try {
    const u = new URL(url);
    origin = `${u.protocol}//${u.host}`;
  } catch {
    return undefined;
  }
  const f = failedAt.get(origin);
  return f && Date.now() - f.at < 60_000 ? { text: f.text, code: f.code } : undefined;
}

/**
 * Position "perCall" (after the retries): a request that never got an answer fails with a message
 * naming the origin and the cause in words (the host name not resolved, the certificate not
 * trusted, …), its code kept (a NetworkError, src/rpc/errors.ts). Answers and other errors pass.
 */
export function connectionFailurePolicy(): PipelinePolicy {
  return {
    name: "aztokenbridgeConnectionFailures",
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      try {
        return await next(request);
      } catch (e) {
        const code = networkCode(e);
        const u = new URL(request.url);
        const origin = `${u.protocol}//${u.host}`;
        const refused = (e as { name?: string; message?: string }).name === "ConnectionRefusedError";
        const text = refused ? (e as Error).message : code === undefined ? undefined : connectionFailure(origin, code);
        if (text === undefined || code === undefined) throw e;
        failedAt.set(origin, { text, code, at: Date.now() });
        if (refused) throw e;
        log().verbose(`${request.method} ${u.protocol}//${u.host}${u.pathname}: no answer (${code})`);
        throw Object.assign(new Error(text, { cause: e }), { name: "ConnectionError", code });
      }
    },
  };
}

/**
 * Position "perCall": keeps the body of an error answer (status 400 and up) for the error the
 * call ends with (src/rpc/errors.ts rememberErrorBody): a pager's RestError has lost it.
 */
export function errorBodyPolicy(): PipelinePolicy {
  return {
    name: "aztokenbridgeErrorBodies",
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const response = await next(request);
      if (response.status >= 400 && typeof response.bodyAsText === "string" && response.bodyAsText.length <= 65536) {
        rememberErrorBody(request, response.bodyAsText);
      }
      return response;
    },
  };
}

/**
 * Position "perRetry" (each attempt): for a call whose cmdlet shows verbose output, one trace line
 * per HTTP request: where it went and what came back (src/rpc/notify.ts traceLine; the notifier
 * redacts query values but api-version). E.g. `POST https://management.azure.com/subscriptions/…
 * /users/integration/token?api-version=2024-05-01 → 200 in 84 ms`.
 */
export function requestTracePolicy(): PipelinePolicy {
  return {
    name: "aztokenbridgeRequestTrace",
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const start = performance.now();
      const ms = () => (performance.now() - start).toFixed(0);
      try {
        const response = await next(request);
        traceLine(() => `${request.method} ${request.url} → ${response.status} in ${ms()} ms`);
        return response;
      } catch (e) {
        traceLine(() => `${request.method} ${request.url} → no answer (${networkCode(e) ?? (e as Error)?.name ?? "error"}) after ${ms()} ms`);
        throw e;
      }
    },
  };
}

/** For the `additionalPolicies` of every client that calls Azure (ARM clients, credentials). */
export function connectionPolicies(): Array<{ policy: PipelinePolicy; position: "perCall" | "perRetry" }> {
  return [
    { policy: connectionFailurePolicy(), position: "perCall" },
    { policy: errorBodyPolicy(), position: "perCall" },
    { policy: refusedConnectionPolicy(), position: "perRetry" },
    { policy: requestTracePolicy(), position: "perRetry" },
  ];
}
