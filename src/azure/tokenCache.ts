/**
 * The one token cache of the server: every credential is wrapped in a CachingCredential, because
 * @azure/identity's own caching differs per credential (AzureCliCredential has none, msal's
 * caches live per credential object, managed identity's in a process-wide static).
 *
 * - Tokens are kept per scope set (and tenant, when a caller asks for one) and handed out until
 *   REFRESH_MARGIN_MS (5 minutes) before they expire, or until the `refreshAfterTimestamp` the
 *   credential gave; after that the next caller fetches a new one.
 * - Concurrent callers for the same key share one in-flight fetch. The fetch itself is not
 *   cancelled by a caller's abort signal (others may be waiting on it); each caller stops waiting
 *   when its own signal fires.
 * - If a refresh fails while the cached token is still valid, that token is returned.
 * - A claims challenge (CAE) bypasses the cache.
 * - A token ARM refused (401 ExpiredAuthenticationToken / InvalidAuthenticationToken /
 *   InvalidAuthenticationTokenAudience) is dropped (`refuse`): it leaves this cache, and the
 *   AccessToken object handed out is marked expired, so the SDK's own per-client copy (the bearer
 *   policy's token cycler) asks again instead of sending it once more. The next fetch asks the
 *   identity provider for a token issued from now on (the claims request Continuous Access
 *   Evaluation uses, `{"access_token":{"nbf":{"essential":true,"value":"<now>"}}}`), so msal's own
 *   cache does not hand back the refused token either. tokenRefusalPolicy (below) does this for
 *   every ARM client, and asks once more when the source can give a new token.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import { BridgeErrorCodes } from "../protocol";
import { BridgeError } from "../rpc/errors";

/** Time source, replaceable in tests. */
export const clock = { now: (): number => Date.now() };

export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

export function abortError(): Error {
  const e = new Error("The operation was aborted.");
  e.name = "AbortError";
  return e;
}

/** Waits for `p`, or rejects with an AbortError as soon as `signal` fires. */
function abortable<T>(p: Promise<T>, signal: AbortSignalLike | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

type AbortSignalLike = NonNullable<GetTokenOptions["abortSignal"]>;

export function isFresh(token: AccessToken, now = clock.now()): boolean {
  if (token.refreshAfterTimestamp !== undefined && now >= token.refreshAfterTimestamp) return false;
  return now < token.expiresOnTimestamp - REFRESH_MARGIN_MS;
}

/** How many recently handed-out tokens `refuse` can find (beyond those still cached). */
const MAX_HANDED = 16;

export class CachingCredential implements TokenCredential {
  private readonly tokens = new Map<string, AccessToken>();
  private readonly inflight = new Map<string, Promise<AccessToken>>();
  /** The latest tokens handed out (any key), so a refused one can be marked expired. */
  private readonly handed: AccessToken[] = [];
  /** Set by `refuse`: the next fetch asks for a token issued from now on. */
  private forceFresh = false;
  /** Number of fetches from the wrapped credential (for tests and diagnostics). */
  fetches = 0;

  constructor(readonly inner: TokenCredential) {}

  async getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    const list = Array.isArray(scopes) ? scopes : [scopes];
    if (options.claims) return this.fetch(list, options, undefined);
    const key = `${[...list].sort().join(" ")}|${options.tenantId ?? ""}`;
    const cached = this.tokens.get(key);
    const now = clock.now();
    if (cached && isFresh(cached, now)) return cached;

    let shared = this.inflight.get(key);
    if (!shared) {
      shared = this.fetch(list, { tenantId: options.tenantId, enableCae: options.enableCae }, key).finally(() => this.inflight.delete(key));
      shared.catch(() => undefined); // every waiting caller sees the error; nobody else must
      this.inflight.set(key, shared);
    }
    try {
      return await abortable(shared, options.abortSignal);
    } catch (e) {
      if ((e as Error)?.name !== "AbortError" && cached && clock.now() < cached.expiresOnTimestamp) return cached;
      throw e;
    }
  }

  private async fetch(scopes: string[], options: GetTokenOptions, key: string | undefined): Promise<AccessToken> {
    this.fetches++;
    if (this.forceFresh && !options.claims) {
      this.forceFresh = false;
      options = { ...options, claims: freshTokenClaims() };
    }
    const token = await this.inner.getToken(scopes, options);
    if (!token) throw Object.assign(new Error("The credential returned no token."), { name: "CredentialUnavailableError" });
    if (key !== undefined) this.tokens.set(key, token);
    this.handed.push(token);
    if (this.handed.length > MAX_HANDED) this.handed.shift();
    return token;
  }

  /** Forgets the cached tokens (e.g. after the identity provider revoked them). */
  clear(): void {
    this.tokens.clear();
  }

  /**
   * A token the resource refused: never handed out again from here, the objects handed out are
   * marked expired (so the SDK's bearer policy asks again), and the next fetch asks for a fresh one.
   */
  refuse(token: string): void {
    for (const [key, t] of this.tokens) if (t.token === token) this.tokens.delete(key);
    for (const t of this.handed) {
      if (t.token !== token) continue;
      t.expiresOnTimestamp = 0;
      t.refreshAfterTimestamp = 0;
    }
    this.forceFresh = true;
  }
}

/** The claims request for a token issued from now on (as a CAE challenge asks, `nbf` ≥ now). */
function freshTokenClaims(now = clock.now()): string {
  return JSON.stringify({ access_token: { nbf: { essential: true, value: String(Math.floor(now / 1000)) } } });
}

// ----- tokens ARM refuses ---------------------------------------------------------------------

/** The 401 codes with which ARM refuses the token itself (not the caller's rights). */
export const REFUSED_TOKEN_CODES = [
  "ExpiredAuthenticationToken",
  "InvalidAuthenticationToken",
  "InvalidAuthenticationTokenAudience",
  "InvalidAuthenticationTokenTenant",
] as const;
/** Refusals a new token from the same source cannot cure (same audience, same tenant): not asked again. */
const FINAL_CODES: readonly string[] = ["InvalidAuthenticationTokenTenant"];
export type RefusedTokenCode = (typeof REFUSED_TOKEN_CODES)[number];

/** Where a token came from, in words for the error, and whether asking it again can give another. */
export interface TokenOrigin {
  /** e.g. "the Az.Accounts context (Connect-AzAccount)". */
  source: string;
  /** What to do when the token expired or was revoked / is invalid. */
  renew: string;
  /** What to check when the token is for another audience. */
  audience: string;
  /** What to do when the token is from another tenant than the subscription's. */
  tenant: string;
  /** True when the source can be asked for a new token (service principal, workload/managed identity, Azure CLI). */
  refetch: boolean;
}

/** What tokenRefusalPolicy needs of a call's credential (credentials.ts ResolvedCredential). */
export interface RefusableCredential {
  credential: CachingCredential;
  origin(token: string): TokenOrigin;
}

export const TOKEN_REFUSAL_POLICY_NAME = "aztokenbridgeTokenRefusal";

interface Refusal {
  code: RefusedTokenCode;
  message: string;
  requestId?: string;
  token: string;
}

/** ARM's refusal of the request's bearer token, if that is what this answer is. */
function refusal(request: PipelineRequest, response: PipelineResponse): Refusal | undefined {
  if (response.status !== 401) return undefined;
  let code: string | undefined;
  let message: string | undefined;
  try {
    const err = (JSON.parse(response.bodyAsText ?? "") as { error?: { code?: unknown; message?: unknown } }).error;
    code = typeof err?.code === "string" ? err.code : undefined;
    message = typeof err?.message === "string" ? err.message : undefined;
  } catch {
    return undefined;
  }
  if (!code || !(REFUSED_TOKEN_CODES as readonly string[]).includes(code)) return undefined;
  const token = /^Bearer\s+(\S+)/i.exec(request.headers.get("authorization") ?? "")?.[1];
  if (!token) return undefined;
  return { code: code as RefusedTokenCode, message: message ?? code, requestId: response.headers.get("x-ms-request-id") ?? undefined, token };
}

/** The error for a token ARM refused: ARM's code and message, which source gave the token, what to do. */
export function refusedTokenError(r: Omit<Refusal, "token">, origin: TokenOrigin, askedAgain: boolean): BridgeError {
  const what = {
    ExpiredAuthenticationToken: "expired",
    InvalidAuthenticationTokenAudience: "for another audience",
    InvalidAuthenticationTokenTenant: "from another tenant than the subscription's",
    InvalidAuthenticationToken: "invalid (revoked, or not signed by a key ARM trusts)",
  }[r.code];
  const again = askedAgain ? ", and so was the new one it gave when asked again" : "";
  const fix = r.code === "InvalidAuthenticationTokenAudience" ? origin.audience : r.code === "InvalidAuthenticationTokenTenant" ? origin.tenant : origin.renew;
  const message = `${r.message} Azure Resource Manager refused the token from ${origin.source} as ${what}${again}. ${fix}`;
  return new BridgeError(BridgeErrorCodes.ServiceError, message, {
    category: "AuthenticationError",
    errorId: r.code,
    statusCode: 401,
    serviceCode: r.code,
    requestId: r.requestId,
    recommendedAction: fix,
  });
}

/**
 * For an ARM client's `additionalPolicies` (position "perCall", around the SDK's retries and its
 * bearer policy): when ARM refuses the token (REFUSED_TOKEN_CODES), the token is dropped from the
 * cache; a source that can give a new one is asked once more and the request sent again (not for a
 * token from another tenant, which a new token from the same identity would be too); a second
 * refusal, or a source that cannot (a token handed over by Az.Accounts or -DefaultProfile), ends in
 * one error naming the source and what to do. At most one extra request per call: no loop.
 */
export function tokenRefusalPolicy(resolved: RefusableCredential): PipelinePolicy {
  return {
    name: TOKEN_REFUSAL_POLICY_NAME,
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const first = await send(request, next);
      if (!first.refusal) return first.answer();
      let origin = resolved.origin(first.refusal.token);
      resolved.credential.refuse(first.refusal.token);
      if (!origin.refetch || FINAL_CODES.includes(first.refusal.code)) throw refusedTokenError(first.refusal, origin, false);
      const second = await send(request, next);
      if (!second.refusal) return second.answer();
      origin = resolved.origin(second.refusal.token);
      resolved.credential.refuse(second.refusal.token);
      throw refusedTokenError(second.refusal, origin, second.refusal.token !== first.refusal.token);
    },
  };
}

/**
 * Sends the request on; an ARM client's deserialization policy throws a RestError (with the
 * response) for an error status, so the answer is looked at either way.
 */
async function send(request: PipelineRequest, next: SendRequest): Promise<{ refusal?: Refusal; answer: () => PipelineResponse }> {
  try {
    const response = await next(request);
    return { refusal: refusal(request, response), answer: () => response };
  } catch (e) {
    const response = (e as { response?: PipelineResponse })?.response;
    if ((e as Error)?.name !== "RestError" || !response) throw e;
    return {
      refusal: refusal(request, response),
      answer: () => {
        throw e;
      },
    };
  }
}
