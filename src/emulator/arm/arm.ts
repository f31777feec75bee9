/**
 * Azure Resource Manager front door on the emulator origin.
 *
 *   GET /metadata/endpoints?api-version=…                                cloud metadata, no token (metadata.ts)
 *   GET /subscriptions                                                   list (token's tenant)
 *   GET /subscriptions/{sub}
 *   GET /subscriptions/{sub}/resourcegroups[/{rg}]
 *   GET /subscriptions/{sub}[/resourceGroups/{rg}]/resources?$filter=…     generic resource list (resources.ts)
 *   *   /subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/…  → the registered ResourceProvider
 *
 * In the order ARM applies them: bearer token (auth.ts) → api-version → subscription id format →
 * subscription exists → token tenant owns the subscription → role-based authorization
 * (authorization.ts: 403 AuthorizationFailed) → resource group → resource provider.
 * `GET /subscriptions` lists only the subscriptions the caller holds a role in.
 * Path keywords, resource group and namespace names are case-insensitive, as in ARM.
 *
 * Every answer carries ARM's headers (recorded in apim.md / the azure-powershell session records):
 * Cache-Control no-cache, Pragma no-cache, Expires -1, Strict-Transport-Security, X-Content-Type-Options,
 * x-ms-request-id, x-ms-correlation-request-id, x-ms-routing-request-id (REGION:yyyyMMddTHHmmssZ:correlation),
 * x-ms-ratelimit-remaining-subscription-{reads|writes|deletes}; responses produced by a resource
 * provider add `Server: Microsoft-HTTPAPI/2.0`, errors produced by ARM itself `x-ms-failure-cause: gateway`.
 */
import type { Directory, ResourceGroupRecord, SubscriptionRecord } from "../directory";
import type { FaultRecord } from "../faults";
import type { TokenService } from "../entra/tokens";
import { EmulatorResponse, header, jsonResponse, RequestContext } from "../http";
import { compactUtc, isGuid, newGuid } from "../util";
import { authenticateArmRequest } from "./auth";
import { authorizationFailedMessage, requiredPermission } from "./authorization";
import { cloudMetadata, METADATA_API_VERSIONS } from "./metadata";
import { genericResource, parseResourceFilter } from "./resources";

/** Region stamped into x-ms-routing-request-id (the demo data lives in West US 2). */
export const ARM_ROUTING_REGION = "WESTUS2";

export interface ArmRequest {
  ctx: RequestContext;
  apiVersion: string;
  subscription: SubscriptionRecord;
  resourceGroup: ResourceGroupRecord;
  /** Namespace as sent in the path, e.g. "Microsoft.ApiManagement". */
  namespace: string;
  /** Decoded path segments after the namespace, e.g. ["service", "svc", "users", "1", "token"]. */
  rest: string[];
  correlationId: string;
  arm: ArmService;
}

export interface ResourceProvider {
  /** e.g. "Microsoft.ApiManagement" (matched case-insensitively). */
  readonly namespace: string;
  /** api-versions the provider accepts; others get ARM's NoRegisteredProviderFound. */
  readonly apiVersions: readonly string[];
  /** Locations the provider advertises in NoRegisteredProviderFound. */
  readonly locations: readonly string[];
  handle(req: ArmRequest): EmulatorResponse | Promise<EmulatorResponse>;
  /** `/subscriptions/{sub}/providers/{namespace}/…` collections; undefined when not one it serves. */
  listInSubscription?(
    req: Omit<ArmRequest, "resourceGroup">,
    resourceGroupOf: (name: string) => ArmRequest["resourceGroup"] | undefined,
  ): EmulatorResponse | undefined;
  /** The provider's top-level resources in the subscription, as its GET answers them (for ARM's generic list, resources.ts). */
  resourcesInSubscription?(
    req: Omit<ArmRequest, "resourceGroup">,
    resourceGroupOf: (name: string) => ArmRequest["resourceGroup"] | undefined,
  ): Record<string, unknown>[];
}

type RateKind = "reads" | "writes" | "deletes";
const RATE_LIMITS: Record<RateKind, number> = { reads: 12000, writes: 1200, deletes: 15000 };
const RATE_WINDOW_MS = 3600_000;

export class ArmService {
  private readonly providers = new Map<string, ResourceProvider>();
  /** Remaining-request counters per scope and kind (the x-ms-ratelimit-remaining-* headers). */
  private readonly rates = new Map<string, { remaining: number; windowStart: number }>();
  /** Correlation id per request (ARM echoes the caller's x-ms-correlation-request-id). */
  private readonly correlation = new WeakMap<RequestContext, string>();

  constructor(
    readonly directory: Directory,
    readonly tokens: TokenService,
  ) {}

  registerProvider(provider: ResourceProvider): void {
    this.providers.set(provider.namespace.toLowerCase(), provider);
  }

  async handle(ctx: RequestContext): Promise<EmulatorResponse> {
    const seg = ctx.segments;
    const subSegment = seg[0]?.toLowerCase() === "subscriptions" ? seg[1] : undefined;
    const pathSubscription = subSegment && isGuid(subSegment) ? this.directory.findSubscription(subSegment) : undefined;
    if (subSegment) ctx.logExtras.subscriptionId = subSegment;

    // 0. The cloud metadata document (metadata.ts): served without a token.
    if (seg[0]?.toLowerCase() === "metadata") return this.metadata(ctx);

    // 1. Authentication.
    const auth = authenticateArmRequest(ctx, this.tokens);
    if (!auth.ok) return this.unauthorized(ctx, auth.code, auth.message, auth.description, pathSubscription?.tenantId);
    ctx.logExtras.tenantId = auth.tenantId;
    if (typeof auth.claims.appid === "string") ctx.logExtras.clientId = auth.claims.appid;

    // 2. api-version.
    const apiVersion = ctx.url.searchParams.get("api-version");
    if (!apiVersion) {
      return this.error(ctx, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    }
    ctx.logExtras.apiVersion = apiVersion;

    if (seg[0]?.toLowerCase() !== "subscriptions") {
      return this.error(ctx, 404, "InvalidResourceType", `The resource type '${seg[0] ?? ""}' could not be found in the namespace 'Microsoft.Resources' for api version '${apiVersion}'.`);
    }
    if (seg.length === 1) {
      if (ctx.method !== "GET") return this.methodNotAllowed(ctx);
      const oid = typeof auth.claims.oid === "string" ? auth.claims.oid : "";
      const value = this.directory
        .listSubscriptions(auth.tenantId)
        .filter((s) => this.directory.hasAnyAccessIn(oid, s.subscriptionId))
        .map((s) => this.subscriptionJson(s));
      return this.json(ctx, 200, { value, count: { type: "Total", value: value.length } });
    }

    // 3. Subscription.
    const subscriptionId = seg[1];
    if (!isGuid(subscriptionId)) {
      return this.error(ctx, 400, "InvalidSubscriptionId", `The provided subscription identifier '${subscriptionId}' is malformed or invalid.`);
    }
    const subscription = pathSubscription;
    if (!subscription) return this.error(ctx, 404, "SubscriptionNotFound", `The subscription '${subscriptionId}' could not be found.`);
    if (subscription.tenantId !== auth.tenantId.toLowerCase()) {
      const authority = `${ctx.origin}/${subscription.tenantId}`;
      const message =
        `The access token is from the wrong issuer 'https://sts.windows.net/${auth.tenantId}/'. It must match the tenant ` +
        `'https://sts.windows.net/${subscription.tenantId}/' associated with this subscription. Please use the authority (URL) ` +
        `'${authority}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the ` +
        "services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your " +
        "subscription and see this error message, please try back later.";
      return this.unauthorized(ctx, "InvalidAuthenticationTokenTenant", message, message, subscription.tenantId);
    }

    // 3b. Authorization (Azure RBAC).
    const permission = requiredPermission(ctx.method, ctx.rawPath, (ns) => this.providers.get(ns.toLowerCase())?.namespace ?? ns);
    const oid = typeof auth.claims.oid === "string" ? auth.claims.oid : "";
    if (!this.directory.hasAccess(oid, permission.scope)) {
      ctx.logExtras.deniedAction = permission.action;
      return this.error(ctx, 403, "AuthorizationFailed", authorizationFailedMessage(auth.claims, permission));
    }
    if (seg.length === 2) {
      if (ctx.method !== "GET") return this.methodNotAllowed(ctx);
      return this.json(ctx, 200, this.subscriptionJson(subscription));
    }
    if (seg[2].toLowerCase() === "resources" && seg.length === 3) {
      if (ctx.method !== "GET") return this.methodNotAllowed(ctx);
      return this.listResources(ctx, apiVersion, subscription);
    }
    if (seg[2].toLowerCase() === "providers" && seg.length >= 5) {
      // Subscription-level collections of a provider (e.g. every API Management service).
      const provider = this.providers.get(seg[3].toLowerCase());
      const listed = provider?.listInSubscription?.(
        { ctx, apiVersion, subscription, namespace: seg[3], rest: seg.slice(4), correlationId: this.correlationId(ctx), arm: this },
        (name) => this.directory.findResourceGroup(subscription, name),
      );
      if (listed) return listed;
    }
    if (seg[2].toLowerCase() !== "resourcegroups") {
      return this.error(ctx, 404, "InvalidResourceType", `The resource type '${seg[2]}' could not be found in the namespace 'Microsoft.Resources' for api version '${apiVersion}'.`);
    }
    if (seg.length === 3) {
      if (ctx.method !== "GET") return this.methodNotAllowed(ctx);
      const value = [...subscription.resourceGroups.values()].map((rg) => this.resourceGroupJson(subscription, rg));
      return this.json(ctx, 200, { value });
    }

    // 4. Resource group.
    const resourceGroup = this.directory.findResourceGroup(subscription, seg[3]);
    if (!resourceGroup) return this.error(ctx, 404, "ResourceGroupNotFound", `Resource group '${seg[3]}' could not be found.`);
    if (seg.length === 4) {
      if (ctx.method !== "GET") return this.methodNotAllowed(ctx);
      return this.json(ctx, 200, this.resourceGroupJson(subscription, resourceGroup));
    }
    if (seg[4].toLowerCase() === "resources" && seg.length === 5) {
      if (ctx.method !== "GET") return this.methodNotAllowed(ctx);
      return this.listResources(ctx, apiVersion, subscription, resourceGroup.name);
    }
    if (seg[4].toLowerCase() !== "providers" || seg.length < 6) {
      return this.error(ctx, 404, "InvalidResourceType", `The resource type '${seg[4]}' could not be found in the namespace 'Microsoft.Resources' for api version '${apiVersion}'.`);
    }

    // 5. Resource provider.
    const namespace = seg[5];
    const rest = seg.slice(6);
    const req: ArmRequest = { ctx, apiVersion, subscription, resourceGroup, namespace, rest, correlationId: this.correlationId(ctx), arm: this };
    const provider = this.providers.get(namespace.toLowerCase());
    if (!provider) return this.unknownResource(req);
    if (!provider.apiVersions.includes(apiVersion)) {
      return this.error(
        ctx, 400, "NoRegisteredProviderFound",
        `No registered resource provider found for location '${resourceGroup.location}' and API version '${apiVersion}' for type '${rest[0] ?? ""}'. ` +
          `The supported api-versions are '${provider.apiVersions.join(", ")}'. The supported locations are '${provider.locations.join(", ")}'.`,
      );
    }
    return provider.handle(req);
  }

  /** ARM's generic resource list (resources.ts): every provider's resources, filtered. */
  private listResources(ctx: RequestContext, apiVersion: string, subscription: SubscriptionRecord, resourceGroupName?: string): EmulatorResponse {
    const filterText = ctx.url.searchParams.get("$filter");
    const filter = parseResourceFilter(filterText);
    if (!filter) {
      // INVENTED: ARM's code for a $filter it cannot parse as named in public reports; the text is the emulator's own.
      return this.error(ctx, 400, "InvalidFilterInQueryString", `Invalid $filter '${filterText ?? ""}' specified in the query string.`);
    }
    const value: Record<string, unknown>[] = [];
    for (const provider of this.providers.values()) {
      const all = provider.resourcesInSubscription?.(
        { ctx, apiVersion, subscription, namespace: provider.namespace, rest: [], correlationId: this.correlationId(ctx), arm: this },
        (name) => this.directory.findResourceGroup(subscription, name),
      ) ?? [];
      for (const full of all) {
        const r = genericResource(full);
        if (resourceGroupName !== undefined && !String(r.id ?? "").toLowerCase().includes(`/resourcegroups/${resourceGroupName.toLowerCase()}/`)) continue;
        if (filter(r)) value.push(r);
      }
    }
    return this.json(ctx, 200, { value });
  }

  /** `GET /metadata/endpoints?api-version=…` (metadata.ts). */
  private metadata(ctx: RequestContext): EmulatorResponse {
    const seg = ctx.segments;
    if (seg.length !== 2 || seg[1].toLowerCase() !== "endpoints") {
      return this.error(ctx, 404, "InvalidResourceType", `The resource type '${seg.slice(0, 2).join("/")}' could not be found in the namespace 'Microsoft.Resources'.`);
    }
    if (ctx.method !== "GET") return this.methodNotAllowed(ctx);
    const apiVersion = ctx.url.searchParams.get("api-version");
    if (!apiVersion) {
      return this.error(ctx, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    }
    ctx.logExtras.apiVersion = apiVersion;
    const body = cloudMetadata(ctx, apiVersion);
    if (body === undefined) {
      // INVENTED: no recording shows the metadata endpoint refusing a version; ARM's usual code, the emulator's text.
      return this.error(
        ctx, 400, "InvalidApiVersionParameter",
        `The api-version '${apiVersion}' is invalid. The supported versions are '${METADATA_API_VERSIONS.join(",")}'.`,
      );
    }
    return this.json(ctx, 200, body);
  }

  // ----- responses -------------------------------------------------------------------------------

  /** A success (or provider error) answer with ARM + resource-provider headers. */
  json(ctx: RequestContext, status: number, body: unknown, extraHeaders: Record<string, string> = {}, fromProvider = false): EmulatorResponse {
    return jsonResponse(status, body, { ...this.headers(ctx, fromProvider ? "provider" : "arm"), ...extraHeaders });
  }

  /** An answer from the resource provider (adds `Server: Microsoft-HTTPAPI/2.0`, as recorded for APIM). */
  providerJson(req: ArmRequest, status: number, body: unknown, extraHeaders: Record<string, string> = {}): EmulatorResponse {
    return this.json(req.ctx, status, body, extraHeaders, true);
  }

  /** A body-less answer from the resource provider (HEAD, 204). */
  providerEmpty(req: ArmRequest, status: number, extraHeaders: Record<string, string> = {}): EmulatorResponse {
    const headers = { ...this.headers(req.ctx, "provider"), ...extraHeaders };
    return { status, headers, body: "" };
  }

  /** ARM's own error envelope `{"error":{"code","message"}}` (x-ms-failure-cause: gateway). */
  error(ctx: RequestContext, status: number, code: string, message: string, extraHeaders: Record<string, string> = {}): EmulatorResponse {
    ctx.logExtras.errorCode = code;
    return jsonResponse(status, { error: { code, message } }, { ...this.headers(ctx, "gateway"), ...extraHeaders });
  }

  /** 401 with the WWW-Authenticate challenge ARM sends; authorization_uri points at this emulator's authority. */
  unauthorized(ctx: RequestContext, code: string, message: string, description: string, tenantId?: string): EmulatorResponse {
    const authorizationUri = `${ctx.origin}/${tenantId ?? ""}`;
    return this.error(ctx, 401, code, message, {
      "WWW-Authenticate": `Bearer authorization_uri="${authorizationUri}", error="invalid_token", error_description="${description.replace(/"/g, "'")}"`,
    });
  }

  /**
   * ARM's answer for a resource (or nested resource) that does not exist:
   *   The Resource 'Microsoft.ApiManagement/service/x' under resource group 'y' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix
   * For a collection path (odd number of segments after the namespace): InvalidResourceType.
   */
  unknownResource(req: ArmRequest): EmulatorResponse {
    const { ctx, rest, namespace, apiVersion, resourceGroup } = req;
    if (rest.length === 0 || rest.length % 2 === 1) {
      const type = rest.filter((_, i) => i % 2 === 0).join("/");
      return this.error(ctx, 404, "InvalidResourceType", `The resource type '${type}' could not be found in the namespace '${namespace}' for api version '${apiVersion}'.`);
    }
    return this.error(
      ctx, 404, "ResourceNotFound",
      `The Resource '${namespace}/${rest.join("/")}' under resource group '${resourceGroup.name}' was not found. ` +
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    );
  }

  methodNotAllowed(ctx: RequestContext): EmulatorResponse {
    return this.error(ctx, 405, "HttpMethodNotAllowed", `The HTTP method '${ctx.method}' is not supported for this resource by the AzTokenBridge emulator.`);
  }

  /** ARM's answer to an injected fault: throttling, server errors, or the fault's own body. */
  faultResponse(ctx: RequestContext, fault: FaultRecord): EmulatorResponse {
    if (ctx.segments[0]?.toLowerCase() === "subscriptions" && ctx.segments[1]) ctx.logExtras.subscriptionId = ctx.segments[1];
    const extra: Record<string, string> = {};
    const retryAfter = fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined);
    if (retryAfter !== undefined) extra["Retry-After"] = String(retryAfter);
    if (fault.body !== undefined) {
      const headers = { ...this.headers(ctx, "gateway"), ...extra };
      if (typeof fault.body === "string") return { status: fault.status, headers: { ...headers, "Content-Type": "text/plain; charset=utf-8" }, body: fault.body };
      return jsonResponse(fault.status, fault.body, headers);
    }
    const [code, message] = defaultArmFault(ctx, fault.status, this.correlationId(ctx));
    return this.error(ctx, fault.status, code, message, extra);
  }

  // ----- headers ---------------------------------------------------------------------------------

  correlationId(ctx: RequestContext): string {
    let id = this.correlation.get(ctx);
    if (!id) {
      const sent = header(ctx, "x-ms-correlation-request-id");
      id = sent && isGuid(sent) ? sent : newGuid();
      this.correlation.set(ctx, id);
      ctx.logExtras.correlationId = id;
    }
    return id;
  }

  private headers(ctx: RequestContext, source: "arm" | "provider" | "gateway"): Record<string, string> {
    const correlationId = this.correlationId(ctx);
    // Errors made by ARM itself carry the correlation id as request id; a provider makes its own.
    const requestId = source === "provider" ? newGuid() : correlationId;
    ctx.logExtras.requestId = requestId;
    const kind: RateKind = ctx.method === "DELETE" ? "deletes" : ctx.method === "GET" || ctx.method === "HEAD" ? "reads" : "writes";
    const sub = typeof ctx.logExtras.subscriptionId === "string" && isGuid(ctx.logExtras.subscriptionId) ? ctx.logExtras.subscriptionId : undefined;
    const scope = sub ? "subscription" : "tenant";
    const h: Record<string, string> = {
      "Cache-Control": "no-cache",
      Pragma: "no-cache",
      Expires: "-1",
      "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
      "X-Content-Type-Options": "nosniff",
      "x-ms-request-id": requestId,
      [`x-ms-ratelimit-remaining-${scope}-${kind}`]: String(this.takeRate(`${scope}:${sub ?? ""}:${kind}`, kind)),
      "x-ms-correlation-request-id": correlationId,
      "x-ms-routing-request-id": `${ARM_ROUTING_REGION}:${compactUtc()}:${correlationId}`,
    };
    if (source === "provider") h["Server"] = "Microsoft-HTTPAPI/2.0";
    if (source === "gateway") h["x-ms-failure-cause"] = "gateway";
    return h;
  }

  private takeRate(key: string, kind: RateKind): number {
    const now = Date.now();
    let r = this.rates.get(key);
    if (!r || now - r.windowStart >= RATE_WINDOW_MS) {
      r = { remaining: RATE_LIMITS[kind], windowStart: now };
      this.rates.set(key, r);
    }
    r.remaining = Math.max(0, r.remaining - 1);
    return r.remaining;
  }

  // ----- Microsoft.Resources bodies ---------------------------------------------------------------

  private subscriptionJson(s: SubscriptionRecord): Record<string, unknown> {
    return {
      id: `/subscriptions/${s.subscriptionId}`,
      authorizationSource: "RoleBased",
      managedByTenants: [],
      subscriptionId: s.subscriptionId,
      tenantId: s.tenantId,
      displayName: s.displayName,
      state: s.state,
      subscriptionPolicies: { locationPlacementId: "Public_2014-09-01", quotaId: "PayAsYouGo_2014-09-01", spendingLimit: "Off" },
    };
  }

  private resourceGroupJson(s: SubscriptionRecord, rg: ResourceGroupRecord): Record<string, unknown> {
    return {
      id: `/subscriptions/${s.subscriptionId}/resourceGroups/${rg.name}`,
      name: rg.name,
      type: "Microsoft.Resources/resourceGroups",
      location: rg.location,
      ...(Object.keys(rg.tags).length > 0 ? { tags: rg.tags } : {}),
      properties: { provisioningState: "Succeeded" },
    };
  }
}

/** Code and message ARM uses for a status when a fault has no body of its own. */
function defaultArmFault(ctx: RequestContext, status: number, correlationId: string): [string, string] {
  switch (status) {
    case 429:
      // Public ARM throttling answer (e.g. Azure/migAz#57): {"error":{"code":"TooManyRequests","message":"The request is being throttled."}}
      return ["TooManyRequests", "The request is being throttled."];
    case 500:
      return [
        "InternalServerError",
        `Encountered internal server error. Diagnostic information: timestamp '${compactUtc()}', subscription id '${String(ctx.logExtras.subscriptionId ?? "")}', ` +
          `tracking id '${newGuid()}', request correlation id '${correlationId}'.`,
      ];
    case 502:
      return ["BadGateway", "The gateway received an invalid response from the resource provider."];
    case 503:
      return ["ServiceUnavailable", "The service is temporarily unavailable. Please try again later."];
    case 504:
      return ["GatewayTimeout", "The gateway did not receive a response from 'Microsoft.ApiManagement' within the specified time period."];
    default:
      return [status >= 500 ? "InternalServerError" : "BadRequest", `Injected fault (HTTP ${status}).`];
  }
}
