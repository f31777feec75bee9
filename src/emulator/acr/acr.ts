/**
 * The Microsoft.ContainerRegistry resource provider behind the ARM front door (arm/arm.ts).
 *
 *   GET   …/providers/Microsoft.ContainerRegistry/registries                      registries in the resource group
 *   GET   /subscriptions/{sub}/providers/Microsoft.ContainerRegistry/registries    every registry of the subscription
 *   GET   …/registries/{reg}
 *   GET   …/registries/{reg}/scopeMaps[/{name}]
 *   GET   …/registries/{reg}/tokens[/{name}]
 *   PUT   …/registries/{reg}/tokens/{name}                                        Tokens_Create: 201 + Azure-AsyncOperation
 *                                                                                 + Retry-After (new), 200 (update)
 *   DELETE …/registries/{reg}/tokens/{name}                                       Tokens_Delete: 200 (204 when there is none)
 *   GET   …/registries/{reg}/tokens/{name}/operationStatuses/token-{guid}         the operation: InProgress → Succeeded | Failed
 *   POST  …/registries/{reg}/generateCredentials                                  Registries_GenerateCredentials: 200 with the
 *                                                                                 values (or 202 + Location when asked)
 *   GET   …/registries/{reg}/operationResults/{id}                                 that 202's Location
 *
 * Shapes, headers and texts follow acr.md (§2.2, §2.4, §2.5, §4) and the recordings it cites:
 * the 201 body with provisioningState Creating and `credentials.passwords: []`, the signed
 * Azure-AsyncOperation URL `…/tokens/{name}/operationStatuses/token-{client request id}?api-version=…&t=…&c=…&s=…&h=…`,
 * `Retry-After` on the 201 and on every status answer, `{"status":"Succeeded"}`, the RP's error
 * envelope `{"error":{"code","message"},"status":"Failed"}` and its 404 text "The resource X could
 * not be found.", generateCredentials' `{"username","passwords":[{"creationTime","name","value"}]}`
 * with 32-character values. Texts no recording shows are marked INVENTED where they are defined.
 */
import { createHash, randomBytes } from "crypto";
import type { ArmRequest, ResourceProvider } from "../arm/arm";
import { EmulatorResponse, header, jsonResponse, parseJsonBody, RequestContext } from "../http";
import { isGuid, isPlainObject, newGuid } from "../util";
import { parseIsoDate } from "../apim/apim";
import {
  AcrStore,
  acrTime,
  completionTime,
  DEFAULT_ACR_SETTINGS,
  RegistryRecord,
  ScopeMapRecord,
  SystemDataRecord,
  TokenCertificateRecord,
  TokenPasswordRecord,
  TokenRecord,
} from "./model";

/** api-versions the provider answers: `api-supported-versions` as recorded (2025-09-09), plus the SDK's 2025-11-01. */
export const ACR_API_VERSIONS = [
  "2019-05-01-preview", "2020-11-01-preview", "2021-06-01-preview", "2021-08-01-preview", "2021-12-01-preview",
  "2022-02-01-preview", "2022-12-01", "2023-01-01-preview", "2023-06-01-preview", "2023-07-01", "2023-08-01-preview",
  "2023-11-01-preview", "2024-01-01-preview", "2024-11-01-preview", "2025-03-01-preview", "2025-04-01",
  "2025-05-01-preview", "2025-09-01-preview", "2025-11-01",
];

const NS = "Microsoft.ContainerRegistry";
const TOKEN_NAME = /^[a-zA-Z0-9-]{5,50}$/;
const PASSWORD_NAMES = ["password1", "password2"];
const CERTIFICATE_NAMES = ["certificate1", "certificate2"];
/** The alphabet of the recorded password values (`SgnwGJ6aiW+/lKQnKWIX1LdqFN18QqQ9`, `FpvvexemNajTBOTjkXaKiAd4MS=U+slv`). */
const PASSWORD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

/** INVENTED: no recording shows a failed token operation; the code and text are the emulator's own. */
const DEFAULT_FAILURE = { code: "InternalServerError", message: "The token operation failed due to an internal error. Please retry the request." };

export class AcrProvider implements ResourceProvider {
  readonly namespace = NS;
  readonly apiVersions = ACR_API_VERSIONS;
  readonly locations = ["East US", "West US", "West US 2", "North Europe", "West Europe"];

  constructor(readonly store: AcrStore) {}

  listInSubscription(req: Omit<ArmRequest, "resourceGroup">, resourceGroupOf: (name: string) => ArmRequest["resourceGroup"] | undefined): EmulatorResponse | undefined {
    if (req.rest.length !== 1 || req.rest[0].toLowerCase() !== "registries") return undefined;
    if (req.ctx.method !== "GET") return req.arm.methodNotAllowed(req.ctx);
    const value = this.store.list(req.subscription.subscriptionId).flatMap((r) => {
      const resourceGroup = resourceGroupOf(r.resourceGroup);
      return resourceGroup ? [this.registryJson({ ...req, resourceGroup }, r)] : [];
    });
    return req.arm.json(req.ctx, 200, { value });
  }

  resourcesInSubscription(req: Omit<ArmRequest, "resourceGroup">, resourceGroupOf: (name: string) => ArmRequest["resourceGroup"] | undefined): Record<string, unknown>[] {
    return this.store.list(req.subscription.subscriptionId).flatMap((r) => {
      const resourceGroup = resourceGroupOf(r.resourceGroup);
      return resourceGroup ? [this.registryJson({ ...req, resourceGroup }, r)] : [];
    });
  }

  handle(req: ArmRequest): EmulatorResponse {
    const { rest, ctx } = req;
    if (rest[0]?.toLowerCase() !== "registries") return req.arm.unknownResource(req);
    if (rest.length === 1) {
      if (ctx.method !== "GET") return req.arm.methodNotAllowed(ctx);
      const value = this.store.list(req.subscription.subscriptionId, req.resourceGroup.name).map((r) => this.registryJson(req, r));
      return req.arm.providerJson(req, 200, { value });
    }
    const registry = this.store.find(req.subscription.subscriptionId, req.resourceGroup.name, rest[1]);
    // A missing registry is answered by ARM itself (ResourceNotFound with the ARM message).
    if (!registry) return req.arm.unknownResource({ ...req, rest: rest.slice(0, 2) });
    ctx.logExtras.registry = registry.name;
    const sub = rest.slice(2).map((s) => s.toLowerCase());
    const m = ctx.method;

    if (sub.length === 0) return m === "GET" ? req.arm.providerJson(req, 200, this.registryJson(req, registry)) : req.arm.methodNotAllowed(ctx);
    if (sub[0] === "scopemaps") {
      if (m !== "GET") return req.arm.methodNotAllowed(ctx);
      if (sub.length === 1) return req.arm.providerJson(req, 200, { value: [...registry.scopeMaps.values()].map((s) => this.scopeMapJson(req, registry, s)) });
      if (sub.length === 2) {
        const map = registry.scopeMaps.get(sub[1]);
        if (!map) return this.notFound(req, rest[3]);
        return req.arm.providerJson(req, 200, this.scopeMapJson(req, registry, map));
      }
    }
    if (sub[0] === "tokens") {
      if (sub.length === 1) {
        if (m !== "GET") return req.arm.methodNotAllowed(ctx);
        return req.arm.providerJson(req, 200, { value: [...registry.tokens.values()].map((t) => this.tokenJson(req, registry, this.store.settle(t))) });
      }
      const tokenName = rest[3];
      ctx.logExtras.token = tokenName;
      if (sub.length === 2) {
        if (m === "GET") {
          const token = registry.tokens.get(tokenName.toLowerCase());
          if (!token) return this.notFound(req, tokenName);
          return req.arm.providerJson(req, 200, this.tokenJson(req, registry, this.store.settle(token)));
        }
        if (m === "PUT") return this.putToken(req, registry, tokenName);
        if (m === "DELETE") return this.deleteToken(req, registry, tokenName);
        return req.arm.methodNotAllowed(ctx);
      }
      if (sub.length === 4 && sub[2] === "operationstatuses") {
        return m === "GET" ? this.operationStatus(req, registry, tokenName, rest[5]) : req.arm.methodNotAllowed(ctx);
      }
    }
    if (sub[0] === "generatecredentials" && sub.length === 1) {
      return m === "POST" ? this.generateCredentials(req, registry) : req.arm.methodNotAllowed(ctx);
    }
    if (sub[0] === "operationresults" && sub.length === 2) {
      return m === "GET" ? this.credentialsResult(req, rest[3]) : req.arm.methodNotAllowed(ctx);
    }
    return req.arm.unknownResource(req);
  }

  // ----- control API (/_emulator/acr/…) ----------------------------------------------------------

  /**
   *   GET  /_emulator/acr/operations   the settings
   *   PUT  /_emulator/acr/operations   {durationMs?, retryAfterSeconds?, failNext?, failCode?, failMessage?, credentialsLro?,
   *                                     neverFinish?, pendingStatus?, pendingPolls?, forgetOperations?, reset?}
   */
  control(ctx: RequestContext, route: string[]): EmulatorResponse | undefined {
    if (route.length !== 1 || route[0].toLowerCase() !== "operations") return undefined;
    const noStore = { "Cache-Control": "no-store" };
    if (ctx.method === "GET") return jsonResponse(200, this.store.settings, noStore);
    if (ctx.method !== "PUT") return jsonResponse(405, { error: { code: "MethodNotAllowed", message: `Method '${ctx.method}' is not supported here.` } }, noStore);
    const parsed = parseJsonBody(ctx);
    const v = parsed.ok ? (parsed.value ?? {}) : undefined;
    const bad = (message: string) => jsonResponse(400, { error: { code: "BadRequest", message } }, noStore);
    if (!isPlainObject(v)) return bad("The body must be a JSON object.");
    const next = v.reset === true ? { ...DEFAULT_ACR_SETTINGS } : { ...this.store.settings };
    const int = (name: string, max: number): number | undefined | "bad" => {
      const x = v[name];
      if (x === undefined) return undefined;
      return typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= max ? x : "bad";
    };
    const duration = int("durationMs", 600_000);
    const retryAfter = int("retryAfterSeconds", 600);
    const failNext = int("failNext", 1000);
    const pendingPolls = int("pendingPolls", 1000);
    if (pendingPolls === "bad") return bad("'pendingPolls' must be an integer from 0 to 1000.");
    if (duration === "bad") return bad("'durationMs' must be an integer from 0 to 600000.");
    if (retryAfter === "bad") return bad("'retryAfterSeconds' must be an integer from 0 to 600.");
    if (failNext === "bad") return bad("'failNext' must be an integer from 0 to 1000.");
    for (const name of ["failCode", "failMessage", "pendingStatus"]) {
      if (v[name] !== undefined && (typeof v[name] !== "string" || v[name] === "")) return bad(`'${name}' must be a non-empty string.`);
    }
    if (v.credentialsLro !== undefined && typeof v.credentialsLro !== "boolean") return bad("'credentialsLro' must be true or false.");
    for (const name of ["neverFinish", "forgetOperations"]) {
      if (v[name] !== undefined && typeof v[name] !== "boolean") return bad(`'${name}' must be true or false.`);
    }
    const terminal = ["succeeded", "failed", "canceled"];
    if (typeof v.pendingStatus === "string" && terminal.includes(v.pendingStatus.toLowerCase())) {
      return bad("'pendingStatus' must not be a terminal status (Succeeded, Failed, Canceled).");
    }
    if (duration !== undefined) next.durationMs = duration;
    if (retryAfter !== undefined) next.retryAfterSeconds = retryAfter;
    if (failNext !== undefined) next.failNext = failNext;
    if (v.failCode !== undefined) next.failCode = v.failCode as string;
    if (v.failMessage !== undefined) next.failMessage = v.failMessage as string;
    if (v.credentialsLro !== undefined) next.credentialsLro = v.credentialsLro as boolean;
    if (v.pendingStatus !== undefined) next.pendingStatus = v.pendingStatus as string;
    if (v.forgetOperations !== undefined) next.forgetOperations = v.forgetOperations as boolean;
    if (v.neverFinish !== undefined) next.neverFinish = v.neverFinish as boolean;
    if (pendingPolls !== undefined) {
      if (pendingPolls === 0) delete next.pendingPolls;
      else next.pendingPolls = pendingPolls;
    }
    this.store.settings = next;
    return jsonResponse(200, next, noStore);
  }

  // ----- bodies ----------------------------------------------------------------------------------

  private registryId(req: ArmRequest, r: RegistryRecord): string {
    return `/subscriptions/${req.subscription.subscriptionId}/resourceGroups/${req.resourceGroup.name}/providers/${NS}/registries/${r.name}`;
  }

  private registryJson(req: ArmRequest, r: RegistryRecord): Record<string, unknown> {
    return {
      sku: { name: r.sku, tier: r.sku },
      type: `${NS}/registries`,
      id: this.registryId(req, r),
      name: r.name,
      location: r.location,
      tags: {},
      systemData: r.systemData,
      properties: {
        loginServer: `${r.name.toLowerCase()}.azurecr.io`,
        creationDate: r.creationDate,
        provisioningState: "Succeeded",
        adminUserEnabled: false,
        policies: {
          quarantinePolicy: { status: "disabled" },
          trustPolicy: { type: "Notary", status: "disabled" },
          retentionPolicy: { days: 7, lastUpdatedTime: r.creationDate, status: "disabled" },
          exportPolicy: { status: "enabled" },
        },
        encryption: { status: "disabled" },
        dataEndpointEnabled: false,
        dataEndpointHostNames: [],
        privateEndpointConnections: [],
        publicNetworkAccess: "Enabled",
        networkRuleBypassOptions: "AzureServices",
        zoneRedundancy: "Disabled",
        anonymousPullEnabled: false,
      },
    };
  }

  private scopeMapJson(req: ArmRequest, r: RegistryRecord, s: ScopeMapRecord): Record<string, unknown> {
    return {
      type: `${NS}/registries/scopeMaps`,
      id: `${this.registryId(req, r)}/scopeMaps/${s.name}`,
      name: s.name,
      systemData: s.systemData,
      properties: {
        description: s.description,
        type: s.type,
        creationDate: s.creationDate,
        provisioningState: "Succeeded",
        actions: [...s.actions],
      },
    };
  }

  /** As recorded: type, id, name, systemData, properties {creationDate, provisioningState, scopeMapId, credentials, status}. */
  private tokenJson(req: ArmRequest, r: RegistryRecord, t: TokenRecord): Record<string, unknown> {
    const credentials: Record<string, unknown> = {};
    if (t.certificates.length > 0) credentials.certificates = t.certificates.map((c) => ({ ...c }));
    credentials.passwords = t.passwords.map((p) => ({ creationTime: p.creationTime, ...(p.expiry ? { expiry: p.expiry } : {}), name: p.name }));
    return {
      type: `${NS}/registries/tokens`,
      id: `${this.registryId(req, r)}/tokens/${t.name}`,
      name: t.name,
      systemData: t.systemData,
      properties: {
        creationDate: t.creationDate,
        provisioningState: t.provisioningState,
        scopeMapId: t.scopeMapId,
        credentials,
        status: t.status,
      },
    };
  }

  // ----- tokens ----------------------------------------------------------------------------------

  private putToken(req: ArmRequest, registry: RegistryRecord, tokenName: string): EmulatorResponse {
    const { ctx } = req;
    if (!TOKEN_NAME.test(tokenName)) {
      // INVENTED: acr.md §8 found no recording of a bad token name.
      return this.rpError(req, 400, "InvalidResourceName",
        `Resource name ${tokenName} is invalid. The name must be between 5 and 50 characters and can contain only alphanumeric characters and hyphens.`);
    }
    const parsed = parseJsonBody(ctx);
    if (!parsed.ok) return req.arm.error(ctx, 400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: '${parsed.error}'.`);
    const body = isPlainObject(parsed.value) ? parsed.value : {};
    const props = isPlainObject(body.properties) ? body.properties : {};
    const existing = registry.tokens.get(tokenName.toLowerCase());
    if (existing) this.store.settle(existing);
    if (existing && (existing.provisioningState === "Creating" || existing.provisioningState === "Updating")) {
      // INVENTED: the spec says 409 for "a conflict in the request"; no recording shows one.
      return this.rpError(req, 409, "AnotherOperationInProgress", `Another operation is in progress on token '${existing.name}'. Retry after it has completed.`);
    }

    // scopeMapId: required for a new token; a scope map of this registry that exists.
    let scopeMapId = existing?.scopeMapId;
    if (props.scopeMapId !== undefined && props.scopeMapId !== null) {
      if (typeof props.scopeMapId !== "string") return this.invalidScopeMap(req, String(props.scopeMapId));
      const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries\/([^/]+)\/scopeMaps\/([^/]+)$/i.exec(props.scopeMapId);
      const registryId = this.registryId(req, registry).toLowerCase();
      if (!m || props.scopeMapId.toLowerCase().slice(0, registryId.length) !== registryId) return this.invalidScopeMap(req, props.scopeMapId);
      const map = registry.scopeMaps.get(m[4].toLowerCase());
      if (!map) return this.notFound(req, m[4]);
      scopeMapId = `${this.registryId(req, registry)}/scopeMaps/${map.name}`;
    }
    if (!scopeMapId) {
      // INVENTED: a token needs a scope map (the portal and az acr token create require one).
      return this.rpError(req, 400, "InvalidScopeMapId", "The scope map id is required: a token must be associated with a scope map of the registry.");
    }

    let status = existing?.status ?? "enabled"; // the service defaults to enabled (recorded)
    if (props.status !== undefined && props.status !== null) {
      const s = typeof props.status === "string" ? props.status.toLowerCase() : "";
      if (s !== "enabled" && s !== "disabled") {
        // INVENTED
        return this.rpError(req, 400, "InvalidParameter", `The value '${String(props.status)}' is not valid for the token status. Valid values are 'enabled' and 'disabled'.`);
      }
      status = s;
    }

    const credentials = isPlainObject(props.credentials) ? props.credentials : {};
    let passwords: TokenPasswordRecord[] = existing?.passwords ?? [];
    if (Array.isArray(credentials.passwords)) {
      const list: TokenPasswordRecord[] = [];
      for (const p of credentials.passwords) {
        const name = isPlainObject(p) && typeof p.name === "string" ? p.name.toLowerCase() : "";
        if (!PASSWORD_NAMES.includes(name)) {
          // INVENTED
          return this.rpError(req, 400, "InvalidParameter", `The password name '${isPlainObject(p) ? String(p.name) : ""}' is not valid. Valid values are 'password1' and 'password2'.`);
        }
        const p2 = p as Record<string, unknown>;
        // A declared password gets no value: the service only generates values in generateCredentials (acr.md §4).
        list.push({
          name,
          creationTime: typeof p2.creationTime === "string" ? p2.creationTime : acrTime(),
          ...(typeof p2.expiry === "string" ? { expiry: p2.expiry } : {}),
        });
      }
      passwords = list;
    }
    let certificates: TokenCertificateRecord[] = existing?.certificates ?? [];
    if (Array.isArray(credentials.certificates)) {
      const list: TokenCertificateRecord[] = [];
      for (const c of credentials.certificates) {
        const cert = isPlainObject(c) ? c : {};
        const name = typeof cert.name === "string" ? cert.name.toLowerCase() : "";
        if (!CERTIFICATE_NAMES.includes(name)) {
          // INVENTED
          return this.rpError(req, 400, "InvalidParameter", `The certificate name '${String(cert.name ?? "")}' is not valid. Valid values are 'certificate1' and 'certificate2'.`);
        }
        const rec: TokenCertificateRecord = { name };
        for (const k of ["expiry", "thumbprint", "encodedPemCertificate"] as const) if (typeof cert[k] === "string") rec[k] = cert[k] as string;
        list.push(rec);
      }
      certificates = list;
    }

    const now = new Date();
    const caller = this.caller(ctx);
    if (existing) {
      // Update: 200 with the token (the spec's "Resource 'Token' update operation succeeded").
      existing.scopeMapId = scopeMapId;
      existing.status = status;
      existing.passwords = passwords;
      existing.certificates = certificates;
      existing.systemData = { ...existing.systemData, lastModifiedBy: caller.by, lastModifiedByType: caller.type, lastModifiedAt: acrTime(now, 1) };
      return req.arm.providerJson(req, 200, this.tokenJson(req, registry, existing));
    }

    const settings = this.store.settings;
    const failed = settings.failNext > 0;
    if (failed) settings.failNext--;
    const clientRequestId = header(ctx, "x-ms-client-request-id");
    const opId = `token-${clientRequestId && isGuid(clientRequestId) ? clientRequestId.toLowerCase() : newGuid()}`;
    const tokenPath = `${this.registryId(req, registry)}/tokens/${tokenName}`;
    const token: TokenRecord = {
      name: tokenName,
      scopeMapId,
      status,
      certificates,
      passwords,
      creationDate: acrTime(now, 2947),
      systemData: { createdBy: caller.by, createdByType: caller.type, createdAt: acrTime(now, 9752), lastModifiedBy: caller.by, lastModifiedByType: caller.type, lastModifiedAt: acrTime(now, 9752) },
      provisioningState: "Creating",
      operation: {
        id: opId,
        startedAt: now.getTime(),
        completesAt: completionTime(settings, now.getTime()),
        ...(settings.pendingPolls && !settings.neverFinish ? { pendingPolls: settings.pendingPolls } : {}),
        outcome: failed ? "Failed" : "Succeeded",
        error: failed ? { code: settings.failCode ?? DEFAULT_FAILURE.code, message: settings.failMessage ?? DEFAULT_FAILURE.message } : undefined,
        pathAndQuery: `${tokenPath}/operationStatuses/${opId}?${signedQuery(req.apiVersion, `${tokenPath}/operationStatuses/${opId}`, now)}`,
      },
    };
    registry.tokens.set(tokenName.toLowerCase(), token);
    ctx.logExtras.operationId = opId;
    return req.arm.providerJson(req, 201, this.tokenJson(req, registry, token), {
      "Azure-AsyncOperation": `${ctx.origin}${token.operation!.pathAndQuery}`,
      "Retry-After": String(settings.retryAfterSeconds),
    });
  }

  /**
   * Tokens_Delete. No recording shows it; the spec (2023-07-01 TokenDelete.json) allows 200, 202 + Location
   * and 204. The emulator deletes at once: 200 with no body, and 204 for a token that does not exist (the
   * ARM resource provider contract for a DELETE of a missing resource). Its credentials stop existing with it.
   */
  private deleteToken(req: ArmRequest, registry: RegistryRecord, tokenName: string): EmulatorResponse {
    const key = tokenName.toLowerCase();
    if (!registry.tokens.has(key)) return req.arm.providerEmpty(req, 204);
    registry.tokens.delete(key);
    return req.arm.providerEmpty(req, 200);
  }

  private operationStatus(req: ArmRequest, registry: RegistryRecord, tokenName: string, opId: string): EmulatorResponse {
    const token = registry.tokens.get(tokenName.toLowerCase());
    const op = token?.operation;
    if (!token || !op || op.id.toLowerCase() !== opId.toLowerCase()) return this.notFound(req, opId);
    req.ctx.logExtras.operationId = op.id;
    // Forgotten (control API): the RP's 404 for an operation id it does not know.
    if (this.store.settings.forgetOperations) return this.notFound(req, opId);
    const retryAfter = { "Retry-After": String(this.store.settings.retryAfterSeconds) };
    if (op.pendingPolls !== undefined) {
      // Counted polls (pendingPolls): pending until they are used up; this poll then finishes it.
      if (op.pendingPolls > 0) op.pendingPolls--;
      else op.completesAt = Math.min(op.completesAt, Date.now());
    }
    this.store.settle(token);
    if (Date.now() < op.completesAt) {
      const pending = this.store.settings.pendingStatus ?? "InProgress";
      req.ctx.logExtras.operationStatus = pending;
      return req.arm.providerJson(req, 200, { status: pending }, { ...retryAfter, "Azure-AsyncOperation": `${req.ctx.origin}${op.pathAndQuery}` });
    }
    req.ctx.logExtras.operationStatus = op.outcome;
    if (op.outcome === "Failed") return req.arm.providerJson(req, 200, { status: "Failed", error: { ...op.error! } }, retryAfter);
    return req.arm.providerJson(req, 200, { status: "Succeeded" }, retryAfter);
  }

  // ----- generateCredentials ---------------------------------------------------------------------

  private generateCredentials(req: ArmRequest, registry: RegistryRecord): EmulatorResponse {
    const { ctx } = req;
    const parsed = parseJsonBody(ctx);
    if (!parsed.ok) return req.arm.error(ctx, 400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: '${parsed.error}'.`);
    const body = isPlainObject(parsed.value) ? parsed.value : {};
    const tokenId = typeof body.tokenId === "string" ? body.tokenId : "";
    const tokenPrefix = `${this.registryId(req, registry)}/tokens/`.toLowerCase();
    const tokenName = tokenId.toLowerCase().startsWith(tokenPrefix) ? tokenId.slice(tokenPrefix.length) : "";
    if (!tokenName || tokenName.includes("/")) {
      // INVENTED
      return this.rpError(req, 400, "InvalidTokenId", `The token id '${tokenId}' is not valid: it must be the resource id of a token of registry '${registry.name}'.`);
    }
    const token = registry.tokens.get(tokenName.toLowerCase());
    if (!token) return this.notFound(req, tokenName);
    ctx.logExtras.token = token.name;
    let names = PASSWORD_NAMES;
    if (body.name !== undefined && body.name !== null) {
      const n = typeof body.name === "string" ? body.name.toLowerCase() : "";
      // INVENTED
      if (!PASSWORD_NAMES.includes(n)) return this.rpError(req, 400, "InvalidParameter", `The password name '${String(body.name)}' is not valid. Valid values are 'password1' and 'password2'.`);
      names = [n];
    }
    let expiry: string | undefined;
    if (body.expiry !== undefined && body.expiry !== null) {
      const d = typeof body.expiry === "string" ? parseIsoDate(body.expiry) : undefined;
      // INVENTED
      if (!d) return this.rpError(req, 400, "InvalidParameter", `The expiry '${String(body.expiry)}' is not a valid date-time.`);
      expiry = acrTime(d);
    }
    const creationTime = acrTime(new Date(), 4689);
    const passwords = names.map((name) => ({ creationTime, ...(expiry ? { expiry } : {}), name, value: newPasswordValue() }));
    // The token keeps the metadata; the values exist only in this answer.
    const kept = token.passwords.filter((p) => !names.includes(p.name));
    token.passwords = [...kept, ...passwords.map((p) => ({ name: p.name, creationTime: p.creationTime, ...(p.expiry ? { expiry: p.expiry } : {}) }))].sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    ctx.logExtras.passwordNames = names.join(",");
    const result = { username: token.name, passwords };
    const settings = this.store.settings;
    if (!settings.credentialsLro) return req.arm.providerJson(req, 200, result);
    const id = newGuid();
    this.store.credentialOperations.set(id, { id, completesAt: completionTime(settings, Date.now()), result });
    return req.arm.providerJson(req, 202, undefined, {
      Location: `${ctx.origin}${this.registryId(req, registry)}/operationResults/${id}?api-version=${encodeURIComponent(req.apiVersion)}`,
      "Retry-After": String(settings.retryAfterSeconds),
    });
  }

  /** The Location of a 202 generateCredentials: 202 until done, then 200 with the values, once. */
  private credentialsResult(req: ArmRequest, id: string): EmulatorResponse {
    const op = this.store.credentialOperations.get(id.toLowerCase()) ?? this.store.credentialOperations.get(id);
    if (!op) return this.notFound(req, id);
    if (Date.now() < op.completesAt) {
      return req.arm.providerJson(req, 202, undefined, {
        Location: `${req.ctx.origin}${req.ctx.url.pathname}${req.ctx.url.search}`,
        "Retry-After": String(this.store.settings.retryAfterSeconds),
      });
    }
    this.store.credentialOperations.delete(op.id);
    return req.arm.providerJson(req, 200, op.result);
  }

  // ----- errors and helpers ----------------------------------------------------------------------

  /** The RP's error envelope, as recorded: `{"error":{"code","message"},"status":"Failed"}`. */
  private rpError(req: ArmRequest, status: number, code: string, message: string): EmulatorResponse {
    req.ctx.logExtras.errorCode = code;
    return req.arm.providerJson(req, status, { error: { code, message }, status: "Failed" });
  }

  /** Recorded (azure-cli test_repository_token_create.yaml): "The resource acr-token-scope-map could not be found." */
  private notFound(req: ArmRequest, name: string): EmulatorResponse {
    return this.rpError(req, 404, "ResourceNotFound", `The resource ${name} could not be found.`);
  }

  private invalidScopeMap(req: ArmRequest, id: string): EmulatorResponse {
    // INVENTED: code as in the SDK's error example (acr.md §6), text the emulator's own.
    return this.rpError(req, 400, "InvalidScopeMapId", `The scope map id '${id}' is not valid: it must be the resource id of a scope map of this registry.`);
  }

  /** systemData's createdBy: the token's appid for a service principal (createdByType Application), as ARM writes it. */
  private caller(ctx: RequestContext): { by: string; type: SystemDataRecord["createdByType"] } {
    const appId = typeof ctx.logExtras.clientId === "string" ? ctx.logExtras.clientId : "";
    return { by: appId || "unknown", type: "Application" };
  }
}

/** 32 characters from the recorded values' alphabet. */
export function newPasswordValue(): string {
  const bytes = randomBytes(32);
  let out = "";
  for (let i = 0; i < 32; i++) out += PASSWORD_ALPHABET[bytes[i] % PASSWORD_ALPHABET.length];
  return out;
}

/**
 * The signed query ARM appends to Azure-AsyncOperation URLs since 2025 (recorded shape
 * `api-version=…&t=…&c=…&s=…&h=…`; the values are elided in the recording): t = .NET ticks of the
 * issue time, c = a certificate-like blob, s = a signature-like blob, h = a SHA-256 of the rest.
 */
function signedQuery(apiVersion: string, path: string, now: Date): string {
  const ticks = (BigInt(now.getTime()) * 10000n + 621355968000000000n).toString();
  const c = randomBytes(96).toString("base64url");
  const s = randomBytes(256).toString("base64url");
  const h = createHash("sha256").update(`${path}|${ticks}|${c}|${s}`).digest("base64url");
  return `api-version=${encodeURIComponent(apiVersion)}&t=${ticks}&c=${c}&s=${s}&h=${h}`;
}
