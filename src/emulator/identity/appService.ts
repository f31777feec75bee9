/**
 * The App Service managed identity endpoint (what IDENTITY_ENDPOINT / IDENTITY_HEADER point to), on the
 * emulator origin: `GET /msi/token?api-version=2019-08-01&resource=…` with header `X-IDENTITY-HEADER`.
 * It gives tokens of the emulated web app's system-assigned identity (EmulatorInfo.managedIdentity),
 * a service principal in the demo tenant that holds Contributor on the demo subscription.
 *
 * Request, as msal-node 7 (@azure/identity 4.14 ManagedIdentityCredential) sends it
 * (msal-node src/client/ManagedIdentitySources/AppService.ts): GET, query `api-version=2019-08-01`,
 * `resource`, and for a user-assigned identity one of `client_id`, `mi_res_id`, `principal_id` (or
 * `object_id`); header `X-IDENTITY-HEADER: $IDENTITY_HEADER`.
 *
 * Success (200), as documented for 2019-08-01 (learn.microsoft.com "Managed identities - Azure App
 * Service", REST endpoint reference; azure-sdk-for-python#11346):
 *   {"access_token":"…","expires_on":"1597772135","resource":"https://vault.azure.net","token_type":"Bearer","client_id":"…"}
 * `expires_on` is unix seconds as a string.
 *
 * Errors:
 *   - X-IDENTITY-HEADER missing or wrong → 403 with an empty body (the answer recorded from the
 *     Container Apps / App Service identity endpoint, `Server: Kestrel`, in
 *     microsoft-authentication-library-for-dotnet#5077 / #5245).
 *   - an identity the app does not have → 400 {"statusCode":400,"message":"Unable to load the proper Managed
 *     Identity.","correlationId":"…"} (recorded in azure-sdk-for-net#43691).
 *   - missing `resource`, unsupported api-version, unknown resource: the same 400 envelope; these
 *     messages are the emulator's own (no recording found).
 */
import { randomBytes, timingSafeEqual } from "crypto";
import type { AppRecord, Directory, TenantRecord } from "../directory";
import type { TokenService } from "../entra/tokens";
import type { FaultRecord } from "../faults";
import { EmulatorResponse, header, jsonResponse, RequestContext } from "../http";
import { newGuid } from "../util";

export const APP_SERVICE_MSI_API_VERSION = "2019-08-01";

/** Path of the endpoint (IDENTITY_ENDPOINT = origin + this). */
export const MSI_PATH = "/msi/token";

export interface ManagedIdentitySetup {
  /** The identity's service principal (kind "managedIdentity"). */
  identity: AppRecord;
  tenant: TenantRecord;
  /** ARM id of the identity (`xms_mirid`): the web app for a system-assigned identity. */
  resourceId: string;
}

export class AppServiceIdentityEndpoint {
  /** The IDENTITY_HEADER value: random per start, 32 upper-case hex digits like App Service's. */
  readonly identityHeader = randomBytes(16).toString("hex").toUpperCase();

  constructor(
    private readonly directory: Directory,
    private readonly tokens: TokenService,
    private readonly setup: ManagedIdentitySetup,
  ) {}

  handle(ctx: RequestContext): EmulatorResponse {
    const path = ctx.segments.map((s) => s.toLowerCase()).join("/");
    if (path !== "msi/token") return this.empty(ctx, 404);
    if (ctx.method !== "GET") return this.empty(ctx, 405, { Allow: "GET" });
    const { identity } = this.setup;
    ctx.logExtras.credentialType = "managedIdentity";
    ctx.logExtras.clientId = identity.appId;

    const sent = header(ctx, "x-identity-header");
    if (!sent || !safeEqual(sent, this.identityHeader)) {
      ctx.logExtras.identityHeader = sent ? "invalid" : "missing";
      return this.empty(ctx, 403);
    }

    const q = ctx.url.searchParams;
    const apiVersion = q.get("api-version");
    if (apiVersion !== APP_SERVICE_MSI_API_VERSION) {
      return this.error(ctx, 400, `The api-version '${apiVersion ?? ""}' is not supported. Use '${APP_SERVICE_MSI_API_VERSION}'.`);
    }
    const resource = q.get("resource");
    if (!resource) return this.error(ctx, 400, "The 'resource' query parameter is required.");
    ctx.logExtras.resource = resource;

    // A user-assigned identity asked for by id: this app only has its system-assigned one.
    const wanted: Array<[string, string]> = [
      ["client_id", identity.appId],
      ["principal_id", identity.servicePrincipalId],
      ["object_id", identity.servicePrincipalId],
      ["mi_res_id", this.setup.resourceId],
    ];
    for (const [name, actual] of wanted) {
      const v = q.get(name);
      if (v !== null && v.toLowerCase() !== actual.toLowerCase()) return this.error(ctx, 400, "Unable to load the proper Managed Identity.");
    }

    if (!this.directory.findResource(resource)) {
      return this.error(
        ctx, 400,
        `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${this.setup.tenant.displayName}. ` +
          "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
          "You might have sent your authentication request to the wrong tenant.",
      );
    }
    const issued = this.tokens.issueAppToken({
      tenant: this.setup.tenant,
      app: identity,
      audience: resource,
      appidacr: "2",
      extraClaims: { xms_mirid: this.setup.resourceId },
    });
    const expiresOn = Number(issued.claims.exp);
    return jsonResponse(
      200,
      { access_token: issued.accessToken, expires_on: String(expiresOn), resource, token_type: "Bearer", client_id: identity.appId },
      this.headers(ctx),
    );
  }

  /** The identity endpoint's answer to an injected fault: its own envelope (or the fault's body). */
  faultResponse(ctx: RequestContext, fault: FaultRecord): EmulatorResponse {
    const extra: Record<string, string> = {};
    const retryAfter = fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined);
    if (retryAfter !== undefined) extra["Retry-After"] = String(retryAfter);
    if (fault.body !== undefined) {
      const headers = { ...this.headers(ctx), ...extra };
      if (typeof fault.body === "string") return { status: fault.status, headers: { ...headers, "Content-Type": "text/plain; charset=utf-8" }, body: fault.body };
      return jsonResponse(fault.status, fault.body, headers);
    }
    const r = this.error(ctx, fault.status, `Injected fault (HTTP ${fault.status}).`);
    Object.assign(r.headers, extra);
    return r;
  }

  /** `{"statusCode":N,"message":"…","correlationId":"…"}`, the App Service identity endpoint's error body. */
  private error(ctx: RequestContext, status: number, message: string): EmulatorResponse {
    const headers = this.headers(ctx);
    ctx.logExtras.errorCode = message.startsWith("AADSTS") ? message.slice(0, message.indexOf(":")) : `HTTP${status}`;
    return jsonResponse(status, { statusCode: status, message, correlationId: headers["X-CORRELATION-ID"] }, headers);
  }

  private empty(ctx: RequestContext, status: number, extra: Record<string, string> = {}): EmulatorResponse {
    const { "Content-Type": _ct, ...headers } = this.headers(ctx);
    return { status, headers: { ...headers, ...extra }, body: "" };
  }

  private headers(ctx: RequestContext): Record<string, string> {
    const correlationId = newGuid();
    ctx.logExtras.correlationId = correlationId;
    return { "Content-Type": "application/json; charset=utf-8", Server: "Kestrel", "X-CORRELATION-ID": correlationId };
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}
