/**
 * The Microsoft.ApiManagement resource provider behind the ARM front door (arm/arm.ts).
 *
 *   GET        …/providers/Microsoft.ApiManagement/service                         services in the resource group
 *   GET        …/service/{svc}
 *   GET        …/service/{svc}/users[?$filter&$top&$skip&expandGroups]              paged with nextLink
 *   GET, HEAD  …/service/{svc}/users/{userId}
 *   POST       …/service/{svc}/users/{userId}/token                                 User_GetSharedAccessToken
 *   GET        …/service/{svc}/groups/{groupId}/users[?$filter&$top&$skip]          GroupUser_List (built-in groups)
 *   GET        /subscriptions/{sub}/providers/Microsoft.ApiManagement/service       every service of the subscription
 *   GET        …/service/{svc}/tenant                                               access + gitAccess
 *   GET, HEAD  …/service/{svc}/tenant/{access|gitAccess}                            no secrets
 *   PATCH      …/service/{svc}/tenant/{access|gitAccess}                            {"properties":{"enabled":…}}
 *   POST       …/service/{svc}/tenant/{access|gitAccess}/listSecrets
 *   POST       …/service/{svc}/tenant/{access|gitAccess}/regenerate{Primary|Secondary}Key
 *   GET        …/service/{svc}/tenant/access[/git]       api-version < 2019-12-01: the old flat shape, with keys
 *
 * Shapes and messages: apim.md (sections 2 and 3) and the azure-powershell session records it cites.
 * Where apim.md says a text is unverified (validation messages), the text here is the emulator's own.
 */
import { apiVersionAtLeast, isPlainObject } from "../util";
import type { ArmRequest, ResourceProvider } from "../arm/arm";
import { EmulatorResponse, header, parseJsonBody } from "../http";
import { compileFilter, FieldMap, FilterError } from "./filter";
import { ApimServiceRecord, ApimStore, ApimUser, newApimKey, TenantAccessRecord } from "./model";
import { userToken } from "./sas";

/** api-versions of Microsoft.ApiManagement/service (stable and preview) the emulator answers. */
export const APIM_API_VERSIONS = [
  "2016-07-07", "2016-10-10", "2017-03-01", "2018-01-01", "2018-06-01-preview", "2019-01-01",
  "2019-12-01-preview", "2019-12-01", "2020-06-01-preview", "2020-12-01", "2021-01-01-preview",
  "2021-04-01-preview", "2021-08-01", "2021-12-01-preview", "2022-04-01-preview", "2022-08-01",
  "2022-09-01-preview", "2023-03-01-preview", "2023-05-01-preview", "2023-09-01-preview", "2024-05-01",
  "2024-06-01-preview", "2024-10-01-preview", "2025-03-01-preview",
];

/** From this api-version on, tenant access is an ARM resource and collections carry `count` (apim.md §3.2). */
const ARM_SHAPE_FROM = "2019-12-01";

/** Page size when `$top` is not given (inference: not recorded in apim.md); ApimStore.pageSize changes it. */
export const DEFAULT_PAGE_SIZE = 100;

/** Longest token lifetime the service grants (apim.md §1.5). */
export const MAX_TOKEN_LIFETIME_MS = 30 * 24 * 3600 * 1000;

const GROUPS = {
  administrators: {
    name: "Administrators",
    description: "Administrators is a built-in group. Its membership is managed by the system. Microsoft Azure subscription administrators fall into this group.",
  },
  developers: {
    name: "Developers",
    description: "Developers is a built-in group. Its membership is managed by the system. Signed-in users fall into this group.",
  },
  guests: {
    name: "Guests",
    description: "Guests is a built-in group. Its membership is managed by the system. Unauthenticated users visiting the developer portal fall into this group.",
  },
} as const;

/** Fields `$filter` accepts on users (the REST reference lists these). */
const USER_FILTER_FIELDS: FieldMap<ApimUser> = {
  name: (u) => u.userId,
  firstName: (u) => u.firstName,
  lastName: (u) => u.lastName,
  email: (u) => u.email,
  state: (u) => u.state,
  registrationDate: (u) => u.registrationDate,
  note: (u) => u.note,
};

interface ValidationDetail {
  code: "ValidationError";
  target: string;
  message: string;
}

export class ApimProvider implements ResourceProvider {
  readonly namespace = "Microsoft.ApiManagement";
  readonly apiVersions = APIM_API_VERSIONS;
  readonly locations = ["West US 2", "West US", "East US", "North Europe", "West Europe"];

  constructor(readonly store: ApimStore) {}

  /** GET /subscriptions/{sub}/providers/Microsoft.ApiManagement/service: every service of the subscription. */
  listInSubscription(req: Omit<ArmRequest, "resourceGroup">, resourceGroupOf: (name: string) => ArmRequest["resourceGroup"] | undefined): EmulatorResponse | undefined {
    if (req.rest.length !== 1 || req.rest[0].toLowerCase() !== "service") return undefined;
    if (req.ctx.method !== "GET") return req.arm.methodNotAllowed(req.ctx);
    const value = this.store.list(req.subscription.subscriptionId).flatMap((s) => {
      const resourceGroup = resourceGroupOf(s.resourceGroup);
      return resourceGroup ? [this.serviceJson({ ...req, resourceGroup }, s)] : [];
    });
    return req.arm.json(req.ctx, 200, { value });
  }

  resourcesInSubscription(req: Omit<ArmRequest, "resourceGroup">, resourceGroupOf: (name: string) => ArmRequest["resourceGroup"] | undefined): Record<string, unknown>[] {
    return this.store.list(req.subscription.subscriptionId).flatMap((s) => {
      const resourceGroup = resourceGroupOf(s.resourceGroup);
      return resourceGroup ? [this.serviceJson({ ...req, resourceGroup }, s)] : [];
    });
  }

  handle(req: ArmRequest): EmulatorResponse {
    const { rest, ctx } = req;
    if (rest[0]?.toLowerCase() !== "service") return req.arm.unknownResource(req);
    if (rest.length === 1) {
      if (ctx.method !== "GET") return req.arm.methodNotAllowed(ctx);
      const value = this.store
        .list(req.subscription.subscriptionId, req.resourceGroup.name)
        .map((s) => this.serviceJson(req, s));
      return req.arm.providerJson(req, 200, { value });
    }
    const service = this.store.find(req.subscription.subscriptionId, req.resourceGroup.name, rest[1]);
    // A missing service is answered by ARM itself (ResourceNotFound with the ARM message).
    if (!service) return req.arm.unknownResource({ ...req, rest: rest.slice(0, 2) });
    ctx.logExtras.apimService = service.name;
    const sub = rest.slice(2).map((s) => s.toLowerCase());

    if (sub.length === 0) {
      if (ctx.method !== "GET") return req.arm.methodNotAllowed(ctx);
      return req.arm.providerJson(req, 200, this.serviceJson(req, service), { ETag: `"${serviceEtag(service.version)}"` });
    }
    if (sub[0] === "users") {
      if (sub.length === 1) return ctx.method === "GET" ? this.listUsers(req, service) : req.arm.methodNotAllowed(ctx);
      const userId = rest[3];
      ctx.logExtras.userId = userId;
      if (sub.length === 2) {
        if (ctx.method === "GET" || ctx.method === "HEAD") return this.getUser(req, service, userId);
        return req.arm.methodNotAllowed(ctx);
      }
      if (sub.length === 3 && sub[2] === "token") {
        return ctx.method === "POST" ? this.userToken(req, service, userId) : req.arm.methodNotAllowed(ctx);
      }
    }
    if (sub[0] === "groups" && sub.length === 3 && sub[2] === "users") {
      // GroupUser_List: the members of a group, paged and filtered like the users collection.
      if (ctx.method !== "GET") return req.arm.methodNotAllowed(ctx);
      const groupId = rest[3].toLowerCase();
      if (!Object.prototype.hasOwnProperty.call(GROUPS, groupId)) return req.arm.unknownResource({ ...req, rest: rest.slice(0, 4) });
      return this.listUsers(req, service, (u) => (u.groups as string[]).includes(groupId));
    }
    if (sub[0] === "tenant") return this.tenant(req, service, sub);
    return req.arm.unknownResource(req);
  }

  // ----- service ---------------------------------------------------------------------------------

  private serviceId(req: ArmRequest, s: ApimServiceRecord): string {
    return `/subscriptions/${req.subscription.subscriptionId}/resourceGroups/${req.resourceGroup.name}/providers/Microsoft.ApiManagement/service/${s.name}`;
  }

  private serviceJson(req: ArmRequest, s: ApimServiceRecord): Record<string, unknown> {
    const host = s.name.toLowerCase();
    const region = s.location.toLowerCase().replace(/\s+/g, "");
    return {
      id: this.serviceId(req, s),
      name: s.name,
      type: "Microsoft.ApiManagement/service",
      tags: {},
      location: s.location,
      etag: serviceEtag(s.version),
      properties: {
        publisherEmail: s.publisherEmail,
        publisherName: s.publisherName,
        notificationSenderEmail: "apimgmt-noreply@mail.windowsazure.com",
        provisioningState: "Succeeded",
        targetProvisioningState: "",
        createdAtUtc: s.createdAtUtc,
        gatewayUrl: `https://${host}.azure-api.net`,
        gatewayRegionalUrl: `https://${host}-${region}-01.regional.azure-api.net`,
        portalUrl: `https://${host}.portal.azure-api.net`,
        developerPortalUrl: `https://${host}.developer.azure-api.net`,
        managementApiUrl: `https://${host}.management.azure-api.net`,
        scmUrl: `https://${host}.scm.azure-api.net`,
        hostnameConfigurations: [
          { type: "Proxy", hostName: `${host}.azure-api.net`, negotiateClientCertificate: false, defaultSslBinding: true, certificateSource: "BuiltIn" },
        ],
        // TEST-NET-1 addresses: this service does not exist anywhere.
        publicIPAddresses: ["192.0.2.10"],
        virtualNetworkType: "None",
        customProperties: {
          "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Ciphers.TripleDes168": "false",
          "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11": "false",
          "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10": "false",
          "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Ssl30": "false",
          "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11": "false",
          "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls10": "false",
          "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Ssl30": "false",
          "Microsoft.WindowsAzure.ApiManagement.Gateway.Protocols.Server.Http2": "false",
        },
        certificates: [],
        disableGateway: false,
        apiVersionConstraint: {},
        publicNetworkAccess: "Enabled",
        platformVersion: "stv2",
      },
      sku: { ...s.sku },
    };
  }

  // ----- users -----------------------------------------------------------------------------------

  private userJson(req: ArmRequest, s: ApimServiceRecord, u: ApimUser, expandGroups: boolean): Record<string, unknown> {
    const serviceId = this.serviceId(req, s);
    return {
      id: `${serviceId}/users/${u.userId}`,
      type: "Microsoft.ApiManagement/service/users",
      name: u.userId,
      properties: {
        firstName: u.firstName,
        lastName: u.lastName,
        email: u.email,
        state: u.state,
        registrationDate: u.registrationDate,
        note: u.note,
        ...(expandGroups
          ? {
              groups: u.groups.map((g) => ({
                id: `${serviceId}/groups/${g}`,
                name: GROUPS[g].name,
                description: GROUPS[g].description,
                builtIn: true,
                type: "system",
                externalId: null,
              })),
            }
          : {}),
        identities: [{ provider: u.identityProvider, id: u.email }],
      },
    };
  }

  private listUsers(req: ArmRequest, s: ApimServiceRecord, member: (u: ApimUser) => boolean = () => true): EmulatorResponse {
    const q = req.ctx.url.searchParams;
    const details: ValidationDetail[] = [];
    const top = parseCount(q.get("$top"), 1);
    const skip = parseCount(q.get("$skip"), 0);
    if (top === "invalid") details.push({ code: "ValidationError", target: "$top", message: "'$top' must be an integer greater than 0." });
    if (skip === "invalid") details.push({ code: "ValidationError", target: "$skip", message: "'$skip' must be an integer greater than or equal to 0." });
    if (details.length > 0) return this.validationError(req, details);

    let users = s.users.filter((u) => u.state !== "deleted" && member(u));
    const filter = q.get("$filter");
    if (filter !== null && filter.trim() !== "") {
      try {
        users = users.filter(compileFilter(filter, USER_FILTER_FIELDS));
      } catch (e) {
        if (!(e instanceof FilterError)) throw e;
        req.ctx.logExtras.errorCode = "ValidationError";
        return req.arm.providerJson(req, 400, {
          error: { code: "ValidationError", message: `Invalid filter clause specified: '${filter}'.`, details: null },
        });
      }
    }
    const pageSize = top === undefined ? this.store.pageSize : (top as number);
    const from = (skip as number | undefined) ?? 0;
    const page = users.slice(from, from + pageSize);
    const expandGroups = (q.get("expandGroups") ?? "").toLowerCase() === "true";
    const body: Record<string, unknown> = { value: page.map((u) => this.userJson(req, s, u, expandGroups)) };
    if (apiVersionAtLeast(req.apiVersion, ARM_SHAPE_FROM)) body.count = users.length;
    if (from + pageSize < users.length) {
      const next = new URL(req.ctx.url.pathname, req.ctx.origin);
      for (const [k, v] of q) if (k !== "$top" && k !== "$skip") next.searchParams.append(k, v);
      next.searchParams.set("$top", String(pageSize));
      next.searchParams.set("$skip", String(from + pageSize));
      body.nextLink = next.toString();
    }
    return req.arm.providerJson(req, 200, body);
  }

  private getUser(req: ArmRequest, s: ApimServiceRecord, userId: string): EmulatorResponse {
    const user = this.store.findUser(s, userId);
    if (!user || user.state === "deleted") {
      if (req.ctx.method === "HEAD") return req.arm.providerEmpty(req, 404);
      return this.notFound(req, "User not found.");
    }
    const etag = { ETag: `"${entityTagFor(user.version)}"` };
    if (req.ctx.method === "HEAD") return req.arm.providerEmpty(req, 200, etag);
    return req.arm.providerJson(req, 200, this.userJson(req, s, user, false), etag);
  }

  /**
   * User_GetSharedAccessToken. Accepts `{"properties":{"keyType","expiry"}}` (api-version 2019-01-01+)
   * and the flat `{"keyType","expiry"}` of 2017-03-01 / 2018-06-01-preview (apim.md §2.1).
   */
  private userToken(req: ArmRequest, s: ApimServiceRecord, userId: string): EmulatorResponse {
    const parsed = parseJsonBody(req.ctx);
    if (!parsed.ok) {
      return req.arm.error(req.ctx, 400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: '${parsed.error}'.`);
    }
    const body = isPlainObject(parsed.value) ? parsed.value : {};
    const props = isPlainObject(body.properties) ? body.properties : body;

    const details: ValidationDetail[] = [];
    const rawKeyType = props.keyType;
    let keyType: "primary" | "secondary" | undefined;
    if (rawKeyType === undefined || rawKeyType === null || rawKeyType === "") {
      details.push({ code: "ValidationError", target: "keyType", message: "Key type is required. Valid values are 'primary' and 'secondary'." });
    } else if (typeof rawKeyType === "string" && ["primary", "secondary"].includes(rawKeyType.toLowerCase())) {
      keyType = rawKeyType.toLowerCase() as "primary" | "secondary";
    } else {
      details.push({
        code: "ValidationError",
        target: "keyType",
        message: `Key type '${typeof rawKeyType === "string" ? rawKeyType : JSON.stringify(rawKeyType)}' is invalid. Valid values are 'primary' and 'secondary'.`,
      });
    }
    const rawExpiry = props.expiry;
    let expiry: Date | undefined;
    const now = Date.now();
    if (rawExpiry === undefined || rawExpiry === null || rawExpiry === "") {
      details.push({ code: "ValidationError", target: "expiry", message: "Expiry is required." });
    } else if (typeof rawExpiry !== "string" || !(expiry = parseIsoDate(rawExpiry))) {
      details.push({
        code: "ValidationError",
        target: "expiry",
        message: `Expiry '${typeof rawExpiry === "string" ? rawExpiry : JSON.stringify(rawExpiry)}' is not a valid date. Use the ISO 8601 format yyyy-MM-ddTHH:mm:ssZ.`,
      });
    } else if (expiry.getTime() <= now) {
      details.push({ code: "ValidationError", target: "expiry", message: "Expiry must be in the future." });
      expiry = undefined;
    } else if (expiry.getTime() > now + MAX_TOKEN_LIFETIME_MS) {
      details.push({ code: "ValidationError", target: "expiry", message: "Expiry must not be more than 30 days in the future. Maximum token expiry time is set to 30 days." });
      expiry = undefined;
    }
    if (keyType) req.ctx.logExtras.keyType = keyType;
    if (details.length > 0) return this.validationError(req, details);

    const keys = this.store.signingKeys(s, userId);
    const user = this.store.findUser(s, userId);
    if (!keys || (user && user.state === "deleted")) return this.notFound(req, "User not found.");
    // The uid is the user id as the service stores it (the path's case may differ).
    const uid = user ? user.userId : userId.toLowerCase();
    const key = keyType === "secondary" ? keys.secondaryKey : keys.primaryKey;
    return req.arm.providerJson(req, 200, { value: userToken(uid, expiry!, key) });
  }

  // ----- tenant access ---------------------------------------------------------------------------

  private tenant(req: ArmRequest, s: ApimServiceRecord, sub: string[]): EmulatorResponse {
    const { ctx } = req;
    const modern = apiVersionAtLeast(req.apiVersion, ARM_SHAPE_FROM);
    if (sub.length === 1) {
      if (ctx.method !== "GET") return req.arm.methodNotAllowed(ctx);
      const value = Object.values(s.tenantAccess).map((a) => this.accessJson(req, s, a, false));
      return req.arm.providerJson(req, 200, { value, count: value.length });
    }
    // Old API: /tenant/access/git is the git access (apim.md §3.2).
    let name = sub[1];
    let rest = sub.slice(2);
    if (!modern && name === "access" && rest[0] === "git") {
      name = "gitaccess";
      rest = rest.slice(1);
    }
    const access = (Object.values(s.tenantAccess) as TenantAccessRecord[]).find((a) => a.name.toLowerCase() === name);
    ctx.logExtras.accessName = access?.name ?? req.rest[3];
    if (!access) {
      if (ctx.method === "HEAD") return req.arm.providerEmpty(req, 404);
      return this.notFound(req, "Access configuration not found.");
    }
    const etag = { ETag: `"${entityTagFor(access.version)}"` };

    if (rest.length === 0) {
      if (ctx.method === "HEAD") return req.arm.providerEmpty(req, 200, etag);
      if (ctx.method === "GET") {
        // Before 2019-12-01 GET returned the keys in a flat body; since then it never does.
        return req.arm.providerJson(req, 200, modern ? this.accessJson(req, s, access, false) : this.legacyAccessJson(access), etag);
      }
      if (ctx.method === "PATCH") return this.updateAccess(req, s, access, modern);
      return req.arm.methodNotAllowed(ctx);
    }
    if (rest.length === 1 && ctx.method === "POST") {
      switch (rest[0]) {
        case "listsecrets":
          return req.arm.providerJson(
            req, 200,
            { id: access.name, principalId: access.principalId, primaryKey: access.primaryKey, secondaryKey: access.secondaryKey, enabled: access.enabled },
            etag,
          );
        case "regenerateprimarykey":
          access.primaryKey = newApimKey();
          access.version++;
          return req.arm.providerEmpty(req, 204);
        case "regeneratesecondarykey":
          access.secondaryKey = newApimKey();
          access.version++;
          return req.arm.providerEmpty(req, 204);
      }
    }
    return req.arm.unknownResource(req);
  }

  private accessJson(req: ArmRequest, s: ApimServiceRecord, a: TenantAccessRecord, withKeys: boolean): Record<string, unknown> {
    return {
      id: `${this.serviceId(req, s)}/tenant/${a.name}`,
      type: "Microsoft.ApiManagement/service/tenant",
      name: a.name,
      properties: {
        principalId: a.principalId,
        primaryKey: withKeys ? a.primaryKey : null,
        secondaryKey: withKeys ? a.secondaryKey : null,
        enabled: a.enabled,
      },
    };
  }

  /** `{"id":"integration","primaryKey":…,"secondaryKey":…,"enabled":…}` (api-version ≤ 2019-01-01, recorded). */
  private legacyAccessJson(a: TenantAccessRecord): Record<string, unknown> {
    return { id: a.principalId, primaryKey: a.primaryKey, secondaryKey: a.secondaryKey, enabled: a.enabled };
  }

  /** PATCH `{"properties":{"enabled":bool}}` → 200 with keys (recorded, 2021-08-01); old API: flat body → 204. */
  private updateAccess(req: ArmRequest, s: ApimServiceRecord, access: TenantAccessRecord, modern: boolean): EmulatorResponse {
    const ifMatch = header(req.ctx, "if-match");
    if (ifMatch !== undefined && ifMatch.trim() !== "*" && ifMatch.replace(/"/g, "").trim() !== entityTagFor(access.version)) {
      req.ctx.logExtras.errorCode = "PreconditionFailed";
      return req.arm.providerJson(req, 412, {
        error: { code: "PreconditionFailed", message: "Resource was modified since last retrieval. Please fetch the most recent version and try again.", details: null },
      });
    }
    const parsed = parseJsonBody(req.ctx);
    if (!parsed.ok) {
      return req.arm.error(req.ctx, 400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: '${parsed.error}'.`);
    }
    const body = isPlainObject(parsed.value) ? parsed.value : {};
    const props = isPlainObject(body.properties) ? body.properties : body;
    if (props.enabled !== undefined) {
      if (typeof props.enabled !== "boolean") {
        return this.validationError(req, [{ code: "ValidationError", target: "enabled", message: "'enabled' must be true or false." }]);
      }
      access.enabled = props.enabled;
      access.version++;
    }
    const etag = { ETag: `"${entityTagFor(access.version)}"` };
    if (!modern) return req.arm.providerEmpty(req, 204, etag);
    return req.arm.providerJson(req, 200, this.accessJson(req, s, access, true), etag);
  }

  // ----- errors ----------------------------------------------------------------------------------

  /** APIM's 404: `{"error":{"code":"ResourceNotFound","message":"User not found.","details":null}}` (recorded shape). */
  private notFound(req: ArmRequest, message: string): EmulatorResponse {
    req.ctx.logExtras.errorCode = "ResourceNotFound";
    return req.arm.providerJson(req, 404, { error: { code: "ResourceNotFound", message, details: null } });
  }

  /** APIM's 400: `{"error":{"code":"ValidationError","message":"One or more fields contain incorrect values:","details":[…]}}`. */
  private validationError(req: ArmRequest, details: ValidationDetail[]): EmulatorResponse {
    req.ctx.logExtras.errorCode = "ValidationError";
    return req.arm.providerJson(req, 400, {
      error: { code: "ValidationError", message: "One or more fields contain incorrect values:", details },
    });
  }
}

/** `"AAAAAAAACHoAAAAAAAAAAA=="`-style entity tag for a version number (16 bytes, base64). */
function entityTagFor(version: number): string {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(BigInt(version) + 0x1500n, 0);
  return b.toString("base64");
}

/** The service's `etag` property (8 bytes, e.g. "AAAAAAAWN/4="). */
function serviceEtag(version: number): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(version) + 0x16374fen, 0);
  return b.toString("base64");
}

/** `$top` / `$skip`: undefined when absent, "invalid" when not an integer ≥ min. */
function parseCount(text: string | null, min: number): number | undefined | "invalid" {
  if (text === null) return undefined;
  if (!/^\s*\d+\s*$/.test(text)) return "invalid";
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min ? n : "invalid";
}

/**
 * ISO 8601 date-time as .NET's DateTime binding reads it: up to 7 fractional digits, `Z` or an offset;
 * no zone means UTC (apim.md §1.4: an Unspecified DateTime is sent and treated as UTC). Date-only is midnight UTC.
 */
export function parseIsoDate(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone] = m;
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(t);
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    return undefined;
  }
  if (zone && zone.toUpperCase() !== "Z") {
    const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const offset = (Number(zm[2]) * 60 + Number(zm[3])) * 60_000;
    t -= zm[1] === "+" ? offset : -offset;
  }
  return new Date(t);
}

