/**
 * msal-node for New-PartnerAccessToken: the HTTP client msal uses (fetch, cancellable, keeping the
 * last error answer of the token endpoint), the mapping of msal results to the AuthResult shape
 * (with the refresh token read from msal's cache, partner.md 4.2) and of failures to protocol errors.
 *
 * Why a client of our own: msal-node's device-code poll throws `post_request_failed` with only the
 * `error` field of Entra's answer (invalid_client, authorization_declined…), losing the AADSTS code
 * and description; this client keeps the last error body so the ErrorRecord can show them. It also
 * aborts requests in flight when the call is cancelled. msal's own log goes to the server's log (src/log.ts,
 * msalLoggerOptions) with PII logging off; nothing here logs, and
 * no request or response body (secrets, tokens) is ever written anywhere.
 */
import type { AuthenticationResult, INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import { BridgeErrorCodes, PartnerAuthResult } from "../protocol";
import { setTimeout as sleep } from "node:timers/promises";
import { RETRY } from "../azure/retry";
import { BridgeError, categoryForStatus, networkCode } from "../rpc/errors";
import { tokenExpiryIso } from "./validation";

export interface EntraErrorBody {
  error?: string;
  error_description?: string;
  error_codes?: number[];
  suberror?: string;
  trace_id?: string;
  correlation_id?: string;
}

export class PartnerNetwork implements INetworkModule {
  /** The last error answer (status >= 400 with an `error` field) of any Entra ID endpoint. */
  lastError: { status: number; body: EntraErrorBody; requestId?: string } | undefined;
  /** The refresh token of the last successful token answer (fallback when msal's cache has none). */
  lastRefreshToken: string | undefined;
  /** expires_in / ext_expires_in of the last successful token answer. */
  lastLifetimes: { expiresIn: number; extExpiresIn: number } | undefined;
  /**
   * The device code endpoint did not give a device code (deviceCodeEndpointFailure): the call's
   * error. Thrown at once, so msal does not go on to poll the token endpoint with no device code
   * (whose AADSTS70000 "grant is invalid" would hide the cause); toBridgeError returns it.
   */
  endpointFailure: Error | undefined;

  constructor(private readonly signal: AbortSignal) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.send<T>("GET", url, options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>("POST", url, options);
  }

  private async send<T>(method: string, url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    const signals = [this.signal];
    if (timeout) signals.push(AbortSignal.timeout(timeout));
    const signal = AbortSignal.any(signals);
    // Entra ID throttling (429) and server errors (5xx) are retried as the ARM clients retry theirs
    // (azure/retry.ts): after Retry-After when given, else with backoff; the answer is then the
    // last one. A token request that got a 5xx was not carried out, so sending it again is safe.
    let response: Response;
    for (let attempt = 0; ; attempt++) {
      response = await fetch(url, { method, headers: options?.headers, body: method === "POST" ? (options?.body ?? "") : undefined, signal });
      if (!(response.status === 429 || response.status >= 500) || attempt >= RETRY.maxRetries) break;
      const retryAfter = Number(response.headers.get("retry-after"));
      const backoff = Math.min(RETRY.retryDelayInMs * 2 ** attempt, RETRY.maxRetryDelayInMs) * (0.8 + Math.random() * 0.4);
      await response.arrayBuffer(); // free the connection
      await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff, undefined, { signal });
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((v, k) => (headers[k] = v));
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? {} : JSON.parse(text);
    } catch {
      body = { error: "invalid_response", error_description: `The identity endpoint answered HTTP ${response.status} with a body that is not JSON.` };
    }
    if (response.status === 200 && body && typeof body === "object" && "access_token" in body) {
      const b = body as { refresh_token?: unknown; expires_in?: unknown; ext_expires_in?: unknown };
      if (typeof b.refresh_token === "string") this.lastRefreshToken = b.refresh_token;
      const expiresIn = Number(b.expires_in);
      const extExpiresIn = Number(b.ext_expires_in);
      this.lastLifetimes = Number.isFinite(expiresIn) && Number.isFinite(extExpiresIn) ? { expiresIn, extExpiresIn } : undefined;
    }
    if (response.status >= 400 && body && typeof body === "object" && "error" in body) {
      this.lastError = { status: response.status, body: body as EntraErrorBody, requestId: headers["x-ms-request-id"] };
    }
    if (response.status !== 200 && DEVICE_CODE_PATH.test(new URL(url).pathname)) {
      // Entra ID's own refusal (an AADSTS code, e.g. an unknown app) is the error as it is; anything
      // else (404: no such endpoint at that host) names the endpoint and its status.
      const last = this.lastError;
      const entra = last !== undefined && last.body === body && response.status !== 404 && (last.body.error_codes ?? []).some((c) => c > 0);
      const failure = entra ? new Error(`Entra ID refused the device code request (HTTP ${response.status}).`) : deviceCodeEndpointFailure(url, response.status, response.statusText, text, headers["x-ms-request-id"]);
      if (!entra) this.endpointFailure = failure;
      throw failure;
    }
    return { headers, body: body as T, status: response.status };
  }
}

/** The device authorization endpoint: /{tenant}/oauth2/v2.0/devicecode (or v1's /oauth2/devicecode). */
const DEVICE_CODE_PATH = /\/oauth2\/(?:v2\.0\/)?devicecode\/?$/i;

/** The device code endpoint answered, but not with a device code: its URL, status and what it said. */
function deviceCodeEndpointFailure(url: string, status: number, statusText: string, text: string, requestId: string | undefined): BridgeError {
  const endpoint = url.split("?")[0];
  let said = "";
  try {
    const b = JSON.parse(text) as EntraErrorBody;
    if (b && typeof b === "object" && (b.error_description || b.error)) said = ` It said: ${String(b.error_description ?? b.error).split(/\r?\n/)[0].trim()}`;
  } catch {
    const plain = text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
    if (plain) said = ` It said: ${plain.length > 200 ? `${plain.slice(0, 200)}…` : plain}`;
  }
  const what = status === 404 ? "there is no device code endpoint at that address" : "it gave no device code";
  return new BridgeError(
    BridgeErrorCodes.ServiceError,
    `The device code endpoint ${endpoint} (host ${new URL(url).host}) answered HTTP ${status}${statusText ? ` ${statusText}` : ""}: ${what}.${said}`,
    {
      category: categoryForStatus(status),
      errorId: "DeviceCodeEndpointFailed",
      statusCode: status,
      requestId,
      recommendedAction: "Check -Environment, -Tenant and AZURE_AUTHORITY_HOST (the sign-in host).",
    },
  );
}

/** The refresh token msal-node keeps in its cache for this result's account and client. */
export function refreshTokenFromCache(serializedCache: string, result: AuthenticationResult, clientId: string): string | null {
  if (!result.account) return null;
  const cache = JSON.parse(serializedCache) as { RefreshToken?: Record<string, { home_account_id: string; environment: string; client_id: string; secret: string }> };
  const entry = Object.values(cache.RefreshToken ?? {}).find(
    (e) => e.home_account_id === result.account!.homeAccountId && e.environment === result.account!.environment && e.client_id === clientId,
  );
  return entry?.secret ?? null;
}

function tidOf(token: string): string | null {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { tid?: unknown };
    return typeof claims.tid === "string" ? claims.tid : null;
  } catch {
    return null;
  }
}

/**
 * msal-node puts extExpiresOn at expiresOn + ext_expires_in; MSAL.NET (the original's) at now +
 * ext_expires_in, which is what Entra ID means. `lifetimes` (from the token answer) gives the latter.
 */
export function toAuthResult(result: AuthenticationResult, refreshToken: string | null, lifetimes?: { expiresIn: number; extExpiresIn: number }): PartnerAuthResult {
  if (!result.accessToken) {
    // msal-node can resolve with an empty result when an endpoint answers nonsense (partner.md 4.7).
    throw new BridgeError(BridgeErrorCodes.AuthenticationFailed, "Entra ID returned no access token.", { category: "AuthenticationError", errorId: "NoAccessToken" });
  }
  const expiresOn = tokenExpiryIso(result.expiresOn ?? new Date(), "expires_in");
  const account = result.account;
  return {
    refreshToken,
    accessToken: result.accessToken,
    isExtendedLifeTimeToken: false,
    uniqueId: result.uniqueId || null,
    expiresOn,
    extendedExpiresOn:
      lifetimes && result.expiresOn
        ? tokenExpiryIso(new Date(result.expiresOn.getTime() + (lifetimes.extExpiresIn - lifetimes.expiresIn) * 1000), "ext_expires_in")
        : tokenExpiryIso(result.extExpiresOn ?? result.expiresOn ?? new Date(), "ext_expires_in"),
    tenantId: result.tenantId || tidOf(result.accessToken),
    account: account
      ? {
          username: account.username,
          environment: account.environment,
          homeAccountId: { identifier: account.homeAccountId, objectId: account.localAccountId, tenantId: account.tenantId },
        }
      : null,
    idToken: result.idToken || null,
    scopes: result.scopes,
    correlationId: result.correlationId,
  };
}

/** AADSTS codes that need the user to sign in again interactively (MFA, consent, password). */
const INTERACTION_CODES = new Set([50076, 50078, 50079, 50055, 50058, 65001, 70044, 700082, 50173, 50133]);

/**
 * An msal failure → BridgeError. Entra ID's own answer (from the network client) wins over msal's
 * rewording: errorId and serviceCode are the AADSTS code, the message its description.
 */
export function toBridgeError(e: unknown, network: PartnerNetwork, retry: string): Error {
  if (e instanceof BridgeError) return e;
  const err = e as { name?: string; errorCode?: string; errorMessage?: string; message?: string; subError?: string };
  if (err?.name === "AbortError" || err?.errorCode === "device_code_polling_cancelled") {
    return Object.assign(new Error("The request was cancelled."), { name: "AbortError" });
  }
  if (network.endpointFailure) return network.endpointFailure;
  const last = network.lastError;
  const description = last?.body.error_description ?? err?.errorMessage ?? err?.message ?? String(e);
  const code = last?.body.error_codes?.[0] ?? Number(/AADSTS(\d+)/.exec(description)?.[1] ?? NaN);
  const aadsts = Number.isFinite(code) ? `AADSTS${code}` : undefined;
  if (!last && !aadsts) {
    const net = networkCode(e) ?? (/\b(endpoints_resolution_error|network_error|openid_config_error)\b/.exec(description) ? "IdentityEndpointUnreachable" : undefined);
    if (net) {
      return new BridgeError(BridgeErrorCodes.NetworkError, `Could not reach Entra ID: ${description}`, {
        category: "ConnectionError",
        errorId: net,
        recommendedAction: "Check the network, -Environment, AZURE_AUTHORITY_HOST and NODE_EXTRA_CA_CERTS.",
      });
    }
  }
  const firstLine = description.split(/\r?\n/)[0].trim();
  const interaction =
    err?.name === "InteractionRequiredAuthError" ||
    last?.body.error === "interaction_required" ||
    (last?.body.suberror !== undefined && ["basic_action", "additional_action", "message_only", "consent_required", "user_password_expired"].includes(last.body.suberror)) ||
    (Number.isFinite(code) && INTERACTION_CODES.has(code));
  return new BridgeError(BridgeErrorCodes.AuthenticationFailed, description.trim(), {
    category: "AuthenticationError",
    errorId: aadsts ?? last?.body.error ?? err?.errorCode ?? "AuthenticationFailed",
    serviceCode: aadsts ?? last?.body.error,
    serviceMessage: firstLine,
    statusCode: last?.status,
    requestId: last?.requestId ?? last?.body.trace_id,
    recommendedAction: interaction
      ? `Sign in again interactively (with multi-factor authentication if asked), then use the new refresh token: ${retry}`
      : undefined,
  });
}
