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
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";

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

export class CachingCredential implements TokenCredential {
  private readonly tokens = new Map<string, AccessToken>();
  private readonly inflight = new Map<string, Promise<AccessToken>>();
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
    const token = await this.inner.getToken(scopes, options);
    if (!token) throw Object.assign(new Error("The credential returned no token."), { name: "CredentialUnavailableError" });
    if (key !== undefined) this.tokens.set(key, token);
    return token;
  }

  /** Forgets the cached tokens (e.g. after the identity provider revoked them). */
  clear(): void {
    this.tokens.clear();
  }
}
