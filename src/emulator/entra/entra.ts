/**
 * Entra ID (v2.0 endpoints) on the emulator origin: OpenID configuration, JWKS and the token endpoint.
 *
 *   GET  /{tenant}/v2.0/.well-known/openid-configuration
 *   GET  /{tenant}/discovery/v2.0/keys            (also /{tenant}/discovery/keys)
 *   POST /{tenant}/oauth2/v2.0/token               (grant handlers: see registerGrant)
 *
 * {tenant} is the tenant GUID, one of its domains, or common / organizations / consumers.
 * Error bodies follow Entra ID's envelope: {error, error_description "AADSTSnnn: …\r\nTrace ID: …", error_codes,
 * timestamp, trace_id, correlation_id, error_uri}.
 */
import { timingSafeEqual } from "crypto";
import type { AppRecord, Directory, TenantRecord } from "../directory";
import type { FaultRecord } from "../faults";
import { EmulatorResponse, header, jsonResponse, RequestContext } from "../http";
import type { TokenService } from "./tokens";
import { entraTimestamp, newGuid } from "../util";

export const TENANT_ALIASES = ["common", "organizations", "consumers"];

export interface GrantRequest {
  ctx: RequestContext;
  /** undefined when the path used common / organizations / consumers. */
  tenant: TenantRecord | undefined;
  /** The {tenant} path segment as sent. */
  tenantSegment: string;
  form: URLSearchParams;
  entra: EntraService;
}

export type GrantHandler = (req: GrantRequest) => EmulatorResponse | Promise<EmulatorResponse>;

/**
 * Verifies `client_assertion` (private_key_jwt): certificate credentials and federated credentials
 * (entra/assertions.ts). It also sets `ctx.logExtras.credentialType`.
 */
export type ClientAssertionVerifier = (
  req: GrantRequest,
  app: AppRecord,
  assertion: string,
  assertionType: string,
) => { ok: true } | { ok: false; response: EmulatorResponse };

/** Extra routes below /{tenant}/ (e.g. "oauth2/v2.0/devicecode"), matched case-insensitively. */
export type EntraRouteHandler = (
  ctx: RequestContext,
  tenant: TenantRecord | undefined,
  tenantSegment: string,
) => EmulatorResponse | Promise<EmulatorResponse>;

export type ClientAuthResult =
  | { ok: true; app: AppRecord; method: "client_secret_post" | "client_secret_basic" | "private_key_jwt" }
  | { ok: false; response: EmulatorResponse };

export class EntraService {
  private readonly grants = new Map<string, GrantHandler>();
  private readonly routes = new Map<string, EntraRouteHandler>();
  private readonly rootRoutes = new Map<string, (ctx: RequestContext) => EmulatorResponse | Promise<EmulatorResponse>>();
  clientAssertionVerifier: ClientAssertionVerifier | undefined;

  constructor(
    readonly directory: Directory,
    readonly tokens: TokenService,
  ) {
    this.registerGrant("client_credentials", clientCredentialsGrant);
  }

  /** Adds (or replaces) the handler for a `grant_type`. */
  registerGrant(grantType: string, handler: GrantHandler): void {
    this.grants.set(grantType, handler);
  }

  /** Adds (or replaces) a route below /{tenant}/, e.g. "oauth2/v2.0/devicecode". */
  registerRoute(method: string, subPath: string, handler: EntraRouteHandler): void {
    this.routes.set(`${method.toUpperCase()} ${subPath.toLowerCase()}`, handler);
  }

  /** A page outside any tenant, e.g. /devicelogin (first path segment; never a tenant name). */
  registerRootRoute(segment: string, handler: (ctx: RequestContext) => EmulatorResponse | Promise<EmulatorResponse>): void {
    this.rootRoutes.set(segment.toLowerCase(), handler);
  }

  async handle(ctx: RequestContext): Promise<EmulatorResponse> {
    const [tenantSegment = "", ...rest] = ctx.segments;
    const root = rest.length === 0 ? this.rootRoutes.get(tenantSegment.toLowerCase()) : undefined;
    if (root) return root(ctx);
    if (tenantSegment === "") {
      return jsonResponse(404, { error: "not_found", error_description: `No Entra ID endpoint at '${ctx.rawPath}'.` }, this.baseHeaders(ctx, newGuid()));
    }
    const sub = rest.join("/").toLowerCase();
    const isAlias = TENANT_ALIASES.includes(tenantSegment.toLowerCase());
    const tenant = isAlias ? undefined : this.directory.findTenant(tenantSegment);
    ctx.logExtras.tenant = tenantSegment;

    const custom = this.routes.get(`${ctx.method} ${sub}`);
    if (custom) {
      if (!tenant && !isAlias) return this.tenantNotFound(ctx, tenantSegment, "invalid_request");
      return custom(ctx, tenant, tenantSegment);
    }

    switch (sub) {
      case "v2.0/.well-known/openid-configuration":
        if (ctx.method !== "GET" && ctx.method !== "HEAD") return this.methodNotAllowed(ctx, "GET");
        if (!tenant && !isAlias) return this.tenantNotFound(ctx, tenantSegment, "invalid_tenant");
        return jsonResponse(200, this.openIdConfiguration(ctx.origin, tenant, tenantSegment), this.metadataHeaders(ctx));
      case "discovery/v2.0/keys":
      case "discovery/keys":
        if (ctx.method !== "GET" && ctx.method !== "HEAD") return this.methodNotAllowed(ctx, "GET");
        if (!tenant && !isAlias) return this.tenantNotFound(ctx, tenantSegment, "invalid_tenant");
        return jsonResponse(
          200,
          this.tokens.jwks(`${ctx.origin}/${tenant ? tenant.tenantId : "{tenantid}"}/v2.0`),
          this.metadataHeaders(ctx),
        );
      case "oauth2/v2.0/token":
        if (ctx.method !== "POST") return this.methodNotAllowed(ctx, "POST");
        if (!tenant && !isAlias) return this.tenantNotFound(ctx, tenantSegment, "invalid_request");
        return this.token(ctx, tenant, tenantSegment);
      case "oauth2/v2.0/authorize":
      case "oauth2/v2.0/devicecode":
        return this.methodNotAllowed(ctx, sub.endsWith("devicecode") ? "POST" : "GET");
      case "oauth2/v2.0/logout":
        return this.error(ctx, 501, "invalid_request", 0, `The endpoint '/${tenantSegment}/${rest.join("/")}' is not implemented by the AzTokenBridge emulator.`);
      default:
        return jsonResponse(
          404,
          { error: "not_found", error_description: `No Entra ID endpoint at '${ctx.rawPath}'.` },
          this.baseHeaders(ctx, newGuid()),
        );
    }
  }

  openIdConfiguration(origin: string, tenant: TenantRecord | undefined, tenantSegment: string): Record<string, unknown> {
    const t = tenant ? tenant.tenantId : tenantSegment;
    const base = `${origin}/${t}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${origin}/${tenant ? tenant.tenantId : "{tenantid}"}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host",
        "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash",
        "c_hash", "email",
      ],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: "NA",
      cloud_instance_name: "microsoftonline.com",
      cloud_graph_host_name: "graph.windows.net",
      msgraph_host: "graph.microsoft.com",
      rbac_url: "https://pas.windows.net",
    };
  }

  private async token(ctx: RequestContext, tenant: TenantRecord | undefined, tenantSegment: string): Promise<EmulatorResponse> {
    const contentType = (header(ctx, "content-type") ?? "").toLowerCase();
    const form = contentType.startsWith("application/x-www-form-urlencoded")
      ? new URLSearchParams(ctx.body.toString("utf8"))
      : new URLSearchParams();
    const grantType = form.get("grant_type") ?? "";
    const clientId = form.get("client_id") ?? basicCredentials(ctx)?.clientId;
    if (grantType) ctx.logExtras.grantType = grantType;
    if (clientId) ctx.logExtras.clientId = clientId;
    if (!grantType) return this.missingParameter(ctx, "grant_type");
    const handler = this.grants.get(grantType);
    if (!handler) {
      const known = [
        "authorization_code", "refresh_token", "device_code", "password",
        "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:jwt-bearer",
      ];
      const note = known.includes(grantType) ? " (Not implemented by the AzTokenBridge emulator.)" : "";
      return this.error(ctx, 400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grantType}'.${note}`);
    }
    return handler({ ctx, tenant, tenantSegment, form, entra: this });
  }

  /**
   * Client authentication shared by all confidential-client grants: client_id (form or HTTP Basic),
   * then client_secret (post or basic) or client_assertion.
   */
  authenticateClient(req: GrantRequest, tenant: TenantRecord): ClientAuthResult {
    const { ctx, form } = req;
    const basic = basicCredentials(ctx);
    const clientId = form.get("client_id") ?? basic?.clientId;
    if (!clientId) return { ok: false, response: this.missingParameter(ctx, "client_id") };
    const app = this.directory.findApp(tenant.tenantId, clientId);
    if (!app) {
      return {
        ok: false,
        response: this.error(
          ctx, 400, "unauthorized_client", 700016,
          `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. ` +
            "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
            "You may have sent your authentication request to the wrong tenant.",
        ),
      };
    }
    if (app.disabled) {
      // Text as recorded in public reports (e.g. Worklytics/psoxy#74: 400 unauthorized_client).
      return { ok: false, response: this.error(ctx, 400, "unauthorized_client", 7000112, `Application '${app.appId}'(${app.displayName}) is disabled.`) };
    }
    const assertion = form.get("client_assertion");
    if (assertion) {
      const assertionType = form.get("client_assertion_type") ?? "";
      if (this.clientAssertionVerifier) {
        const verdict = this.clientAssertionVerifier(req, app, assertion, assertionType);
        return verdict.ok ? { ok: true, app, method: "private_key_jwt" } : verdict;
      }
      return {
        ok: false,
        response: this.error(
          ctx, 401, "invalid_client", 700027,
          "The certificate with identifier used to sign the client assertion is not registered on application. " +
            `[Reason - The key was not found., Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.appId}'.]`,
        ),
      };
    }
    const secret = form.get("client_secret") ?? basic?.secret;
    if (secret) ctx.logExtras.credentialType = "secret";
    if (!secret) {
      return {
        ok: false,
        response: this.error(ctx, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
      };
    }
    const match = app.secrets.find((s) => safeEqual(s.value, secret));
    if (!match) {
      return {
        ok: false,
        response: this.error(
          ctx, 401, "invalid_client", 7000215,
          "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, " +
            `for a secret added to app '${app.appId}'.`,
        ),
      };
    }
    if (match.expiresAt !== undefined && match.expiresAt * 1000 <= Date.now()) {
      return {
        ok: false,
        response: this.error(
          ctx, 401, "invalid_client", 7000222,
          `The provided client secret keys for app '${app.appId}' are expired. Visit the Azure portal to create new keys for your app: ` +
            "https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
        ),
      };
    }
    return { ok: true, app, method: form.get("client_secret") ? "client_secret_post" : "client_secret_basic" };
  }

  /** Entra ID error envelope; `aadsts` 0 means "no AADSTS code" (emulator-specific answers). */
  error(
    ctx: RequestContext,
    status: number,
    error: string,
    aadsts: number,
    description: string,
    extra: Record<string, unknown> = {},
  ): EmulatorResponse {
    const traceId = newGuid();
    const correlationId = this.correlationId(ctx);
    const timestamp = entraTimestamp();
    const prefix = aadsts ? `AADSTS${aadsts}: ` : "";
    const body: Record<string, unknown> = {
      error,
      error_description: `${prefix}${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: aadsts ? [aadsts] : [],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      ...(aadsts ? { error_uri: `https://login.microsoftonline.com/error?code=${aadsts}` } : {}),
      ...extra,
    };
    if (aadsts) ctx.logExtras.aadsts = aadsts;
    return jsonResponse(status, body, this.tokenHeaders(ctx, traceId));
  }

  /**
   * Entra ID's answer to an injected fault. 429 carries Retry-After (default 1 s); bodies use the
   * Entra envelope unless the fault brings its own.
   */
  faultResponse(ctx: RequestContext, fault: FaultRecord): EmulatorResponse {
    const extra: Record<string, string> = {};
    const retryAfter = fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined);
    if (retryAfter !== undefined) extra["Retry-After"] = String(retryAfter);
    if (fault.body !== undefined) {
      const headers = { ...this.tokenHeaders(ctx), ...extra };
      if (typeof fault.body === "string") return { status: fault.status, headers: { ...headers, "Content-Type": "text/plain; charset=utf-8" }, body: fault.body };
      return jsonResponse(fault.status, fault.body, headers);
    }
    let r: EmulatorResponse;
    if (fault.status === 429) {
      r = this.error(ctx, 429, "temporarily_unavailable", 90055, "TenantThrottlingError - There are too many incoming requests. This exception is thrown for blocked tenants.");
    } else if (fault.status === 503) {
      r = this.error(ctx, 503, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.");
    } else if (fault.status >= 500) {
      r = this.error(ctx, fault.status, "server_error", 50000, "There was an error issuing a token or an issue with our sign-in service.");
    } else {
      r = this.error(ctx, fault.status, "invalid_request", 0, `Injected fault (HTTP ${fault.status}).`);
    }
    Object.assign(r.headers, extra);
    return r;
  }

  missingParameter(ctx: RequestContext, name: string): EmulatorResponse {
    return this.error(ctx, 400, "invalid_request", 900144, `The request body must contain the following parameter: '${name}'.`);
  }

  tenantNotFound(ctx: RequestContext, tenantSegment: string, error: "invalid_request" | "invalid_tenant"): EmulatorResponse {
    return this.error(
      ctx, 400, error, 90002,
      `Tenant '${tenantSegment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. ` +
        "Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
    );
  }

  methodNotAllowed(ctx: RequestContext, allowed: string): EmulatorResponse {
    const r = this.error(ctx, 405, "invalid_request", 900561, `The endpoint only accepts ${allowed} requests. Received a ${ctx.method} request.`);
    r.headers["Allow"] = allowed;
    return r;
  }

  /** Entra uses the caller's client-request-id as its correlation id. */
  correlationId(ctx: RequestContext): string {
    const sent = header(ctx, "client-request-id") ?? ctx.url.searchParams.get("client-request-id") ?? undefined;
    return sent && sent.length <= 100 ? sent : newGuid();
  }

  /** Headers of token-endpoint answers (success and error). */
  tokenHeaders(ctx: RequestContext, requestId: string = newGuid()): Record<string, string> {
    return {
      ...this.baseHeaders(ctx, requestId),
      "Cache-Control": "no-store, no-cache",
      Pragma: "no-cache",
      Expires: "-1",
      P3P: 'CP="DSP CUR OTPi IND OTRi ONL FIN"',
      "X-XSS-Protection": "0",
    };
  }

  private metadataHeaders(ctx: RequestContext): Record<string, string> {
    return {
      ...this.baseHeaders(ctx, newGuid()),
      "Cache-Control": "max-age=86400, private",
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": "GET, OPTIONS",
    };
  }

  private baseHeaders(ctx: RequestContext, requestId: string): Record<string, string> {
    const h: Record<string, string> = {
      "Content-Type": "application/json; charset=utf-8",
      "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
      "X-Content-Type-Options": "nosniff",
      "x-ms-request-id": requestId,
      "x-ms-ests-server": "2.1.0 - AzTokenBridge emulator",
    };
    const sent = header(ctx, "client-request-id") ?? ctx.url.searchParams.get("client-request-id");
    if (sent) h["client-request-id"] = sent;
    ctx.logExtras.requestId = requestId;
    return h;
  }
}

/** grant_type=client_credentials with client_secret (post/basic) or a pluggable client_assertion check. */
export function clientCredentialsGrant(req: GrantRequest): EmulatorResponse {
  const { ctx, form, entra } = req;
  if (!req.tenant) {
    return entra.error(
      ctx, 400, "invalid_request", 50059,
      "No tenant-identifying information found in either the request or implied by any provided credentials.",
    );
  }
  const auth = entra.authenticateClient(req, req.tenant);
  if (!auth.ok) return auth.response;
  const scopeParam = form.get("scope");
  if (!scopeParam) return entra.missingParameter(ctx, "scope");
  const scopes = scopeParam
    .split(/\s+/)
    .filter((s) => s !== "" && !["openid", "profile", "offline_access", "email"].includes(s.toLowerCase()));
  const suffix = "/.default";
  if (scopes.length !== 1 || !scopes[0].toLowerCase().endsWith(suffix)) {
    return entra.error(
      ctx, 400, "invalid_scope", 1002012,
      `The provided value for scope ${scopes.join(" ") || scopeParam} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const resourceId = scopes[0].slice(0, -suffix.length);
  ctx.logExtras.resource = resourceId;
  if (!entra.directory.findResource(resourceId)) {
    return entra.error(
      ctx, 400, "invalid_resource", 500011,
      `The resource principal named ${resourceId} was not found in the tenant named ${req.tenant.displayName}. ` +
        "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
        "You might have sent your authentication request to the wrong tenant.",
    );
  }
  const issued = entra.tokens.issueAppToken({
    tenant: req.tenant,
    app: auth.app,
    audience: resourceId,
    appidacr: auth.method === "private_key_jwt" ? "2" : "1",
  });
  return jsonResponse(
    200,
    { token_type: "Bearer", expires_in: issued.expiresIn, ext_expires_in: issued.expiresIn, access_token: issued.accessToken },
    entra.tokenHeaders(ctx),
  );
}

function basicCredentials(ctx: RequestContext): { clientId: string; secret: string } | undefined {
  const auth = header(ctx, "authorization");
  if (!auth || !/^basic\s+/i.test(auth)) return undefined;
  const decoded = Buffer.from(auth.replace(/^basic\s+/i, ""), "base64").toString("utf8");
  const i = decoded.indexOf(":");
  if (i < 0) return undefined;
  try {
    return { clientId: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
  } catch {
    return { clientId: decoded.slice(0, i), secret: decoded.slice(i + 1) };
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}
