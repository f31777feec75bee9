/**
 * The request log behind `GET /_emulator/requests`: one entry per Entra ID, ARM, managed identity
 * (service "identity") and OIDC issuer (service "oidc") request (control API calls are not logged).
 *
 * It must never hold a secret. Entries are built from the method, the path, the query (with
 * sensitive-looking parameters redacted) and the non-secret facts handlers put in
 * `RequestContext.logExtras` (grant type, client id, credential type, subscription, APIM user id…).
 * Headers and bodies are never copied, so Authorization values, client secrets, client assertions,
 * the X-IDENTITY-HEADER value, access tokens, SAS tokens and keys cannot end up here.
 */
import type { RequestContext, ServiceKind } from "./http";

export interface RequestLogEntry {
  seq: number;
  /** ISO time the request arrived. */
  time: string;
  service: Exclude<ServiceKind, "control">;
  method: string;
  /** Path as received (percent-encoded), without the query. */
  path: string;
  /** Query parameters; values of sensitive-looking names are replaced by "[redacted]". */
  query: Record<string, string>;
  status: number;
  /** Time from arrival until the response was written, latency included. */
  durationMs: number;
  /** Artificial latency applied to this response. */
  latencyMs: number;
  /** Id of the injected fault that produced the response, if any. */
  fault?: string;
  /** The client closed the connection while the answer waited out its latency: nothing was sent (status 0). */
  clientAborted?: boolean;
  /** Token endpoint: the `grant_type` sent. */
  grantType?: string;
  /** Token endpoint and managed identity endpoint: the client id (of the identity, for "identity"); ARM: the token's appid. */
  clientId?: string;
  /**
   * How the client authenticated: token endpoint "secret" | "certificate" (client assertion signed
   * with a registered certificate) | "federated" (workload identity assertion); managed identity
   * endpoint "managedIdentity".
   */
  credentialType?: CredentialType;
  /** Handler-provided, non-secret facts (tenant, subscriptionId, resource, errorCode, aadsts, deniedAction…). */
  [extra: string]: unknown;
}

export type CredentialType = "secret" | "certificate" | "federated" | "managedIdentity";

/** Query parameter names whose values are never logged. */
const SENSITIVE_NAME = /secret|token|key|password|assertion|signature|^sig$|^sn$|^code$|credential|auth/i;

const MAX_ENTRIES = 10_000;

export class RequestLog {
  private entries: RequestLogEntry[] = [];

  record(
    ctx: RequestContext,
    status: number,
    latencyMs: number,
    fault: string | undefined,
  ): RequestLogEntry {
    const query: Record<string, string> = {};
    for (const [name, value] of ctx.url.searchParams) {
      query[name] = SENSITIVE_NAME.test(name) ? "[redacted]" : value;
    }
    const extras: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(ctx.logExtras)) if (v !== undefined) extras[k] = v;
    const entry: RequestLogEntry = {
      ...extras,
      seq: ctx.seq,
      time: new Date(ctx.receivedAt).toISOString(),
      service: ctx.service === "control" ? "arm" : ctx.service,
      method: ctx.method,
      path: ctx.rawPath,
      query,
      status,
      durationMs: Date.now() - ctx.receivedAt,
      latencyMs,
      ...(fault ? { fault } : {}),
    };
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    return entry;
  }

  list(): RequestLogEntry[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }
}
