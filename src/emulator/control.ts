/**
 * The control API, under `/_emulator/` on the emulator origin (controlEndpoint). No authentication:
 * the server listens on 127.0.0.1 only. Control calls are neither delayed, faulted nor logged.
 *
 *   GET    /_emulator                          status: info (without the client secret and the identity header), latency, counts
 *   GET    /_emulator/requests                 the request log (RequestLogEntry[], no secrets)
 *   DELETE /_emulator/requests                 clears it                                            → 204
 *   GET    /_emulator/faults                   active faults
 *   POST   /_emulator/faults                   {match:{service? ("arm"|"entra"|"identity"|"oidc"),method?,pathContains?}, status,
 *                                              retryAfterSeconds?, count?, body?, reset?} → 201 fault
 *   DELETE /_emulator/faults[/{id}]            clears all / one                                     → 204
 *   GET    /_emulator/latency                  {"ms":N}
 *   PUT    /_emulator/latency                  {"ms":N} (0…600000)                                  → 200 {"ms":N}
 *   PUT    /_emulator/gate                     {"path":"<regex>","count":N,"timeoutMs":T}: answers to matching
 *                                              paths are held until N are held at once (gate.ts) → 200 the gate
 *   GET    /_emulator/gate                     the gate and `largestGroup` (most released together), or null;
 *                                              DELETE: removes it (held answers go) → 204
 *   GET    /_emulator/apim/users/{id}/keys     {serviceName,userId,primaryKey,secondaryKey} — the keys a token
 *                                              for that user id is signed with (tenant access keys for
 *                                              `integration` / `git`); ?service= picks another service
 *   PUT    /_emulator/apim/page-size            {"size":N}: users per page when a list gives no $top (default 100)
 *   POST   /_emulator/tokens                   mints an ARM access token signed by this emulator, for tests of
 *                                              ARM's token checks and for CLI test doubles: {expiresInSeconds?,
 *                                              notBeforeInSeconds?, audience?, tenantId?, clientId?, claims?}
 *                                              → {"accessToken": "…"} (clientId: an app from POST /apps; default the demo app)
 *   POST   /_emulator/tokens/revoke            {clientId?, objectId?}: the tokens issued so far (all, one app's, one
 *                                              principal's) are revoked: ARM refuses them (InvalidAuthenticationToken)
 *                                              → {"revoked": N}
 *   PUT    /_emulator/tokens/issuance          {expiresInSeconds?, audience?, count?}: the next `count` app tokens the
 *   DELETE /_emulator/tokens/issuance          token endpoint (client credentials) and the managed identity endpoint
 *                                              issue get that lifetime (negative: already expired) and/or audience;
 *                                              no count: all until DELETE → the setting
 *   PATCH  /_emulator/apps/{clientId}          {disabled?, secretsExpired?, certificatesExpired?}: sign-in disabled
 *                                              (AADSTS7000112), client secrets expired (AADSTS7000222), registered
 *                                              certificates past their end date (AADSTS700027) → the app's state
 *   DELETE /_emulator/apps/{clientId}          deletes the app (AADSTS700016 afterwards)                → 204
 *   POST   /_emulator/apps                     a new app + service principal in the demo tenant: {displayName?,
 *                                              access?: "contributor" (default) | "none"} → 201 {clientId, clientSecret,
 *                                              tenantId, objectId}; "none" = no role assignment, so ARM answers 403
 *   GET    /_emulator/apps/{clientId}/federated-credentials        the app's federated identity credentials
 *   POST   /_emulator/apps/{clientId}/federated-credentials        {subject, name?, audiences?} → 201 the credential
 *                                              (issuer: the emulator's OIDC issuer)
 *   POST   /_emulator/workload-identity/token  a service-account token from the OIDC issuer: {subject?, clientId?,
 *                                              expiresInSeconds?, audience?} → {token, subject, issuer}. subject defaults
 *                                              to the app's first federated credential (demo app:
 *                                              system:serviceaccount:default:aztokenbridge); any subject is signed, but
 *                                              the token endpoint refuses one no credential names (AADSTS70021)
 *
 *   GET    /_emulator/acr/operations           container registry settings: {durationMs, retryAfterSeconds, failNext, failCode?,
 *   PUT    /_emulator/acr/operations           failMessage?, credentialsLro}; PUT changes the given fields ({reset: true}: defaults)
 *                                              (neverFinish?, pendingStatus?, forgetOperations?)
 *                                              (acr/acr.ts)
 *   …/_emulator/entra/…                          user flows: demo users, MFA on demand, device-code approval, browser
 *                                              sign-in without a browser, refresh-token expiry (entra/userControl.ts)
 *
 * Errors: {"error":{"code","message"}} with 400 / 404 / 405.
 */
import type { AppRecord, Directory } from "./directory";
import { handleUserControl } from "./entra/userControl";
import type { UserFlows } from "./entra/userFlows";
import type { TokenService } from "./entra/tokens";
import { FaultStore, parseFaultSpec } from "./faults";
import { DEFAULT_WORKLOAD_SUBJECT, OidcIssuer, TOKEN_EXCHANGE_AUDIENCE } from "./oidc/issuer";
import { EmulatorResponse, emptyResponse, jsonResponse, parseJsonBody, RequestContext } from "./http";
import { bad, noStore, notAllowed, notFound, ok } from "./controlResponses";
import type { RequestLog } from "./requestLog";
import type { ApimStore } from "./apim/model";
import type { AcrProvider } from "./acr/acr";
import { isPlainObject } from "./util";
import { Gate, parseGateSpec } from "./gate";

export const MAX_LATENCY_MS = 600_000;

/** Mutable latency setting shared with the server, and the gate answers pass first (gate.ts). */
export interface LatencySetting {
  ms: number;
  gate?: Gate;
}

export interface ControlDeps {
  /** What GET /_emulator shows (must not contain secrets). */
  publicInfo: () => Record<string, unknown>;
  log: RequestLog;
  faults: FaultStore;
  latency: LatencySetting;
  apim: ApimStore;
  /** Container registry settings (operation duration, Retry-After, failures). */
  acr?: AcrProvider;
  tokens: TokenService;
  directory: Directory;
  oidc: OidcIssuer;
  /** Defaults for minted tokens and new apps. */
  tenantId: string;
  clientId: string;
  servicePrincipalId: string;
  /** Scope of the Contributor assignment new apps get (the demo subscription). */
  contributorScope: string;
  /** Entra ID user flows: /_emulator/entra/… (entra/userControl.ts). */
  userFlows?: UserFlows;
}


export class ControlApi {
  constructor(private readonly deps: ControlDeps) {}

  handle(ctx: RequestContext): EmulatorResponse | Promise<EmulatorResponse> {
    // segments[0] is "_emulator".
    const route = ctx.segments.slice(1);
    const [a, b, c, d, e] = route.map((s) => s.toLowerCase());
    const m = ctx.method;
    const { deps } = this;
    if (a === "entra" && deps.userFlows) return handleUserControl(ctx, route.slice(1), deps.userFlows, deps.directory);

    if (route.length === 0) {
      return m === "GET"
        ? ok({ ...deps.publicInfo(), latencyMs: deps.latency.ms, activeFaults: deps.faults.list().length, loggedRequests: deps.log.list().length })
        : notAllowed(m);
    }
    if (a === "requests" && route.length === 1) {
      if (m === "GET") return ok(deps.log.list());
      if (m === "DELETE") {
        deps.log.clear();
        return emptyResponse(204, noStore);
      }
      return notAllowed(m);
    }
    if (a === "faults") {
      if (route.length === 1) {
        if (m === "GET") return ok(deps.faults.list());
        if (m === "DELETE") {
          deps.faults.clear();
          return emptyResponse(204, noStore);
        }
        if (m === "POST") {
          const body = parseJsonBody(ctx);
          if (!body.ok) return bad(`The body is not valid JSON: ${body.error}`);
          const spec = parseFaultSpec(body.value);
          if (!spec.ok) return bad(spec.message);
          return jsonResponse(201, deps.faults.add(spec.spec), noStore);
        }
        return notAllowed(m);
      }
      if (route.length === 2 && m === "DELETE") {
        return deps.faults.remove(route[1]) ? emptyResponse(204, noStore) : notFound(`No fault with id '${route[1]}'.`);
      }
    }
    if (a === "gate" && route.length === 1) {
      if (m === "GET") return ok(deps.latency.gate ? { ...deps.latency.gate.spec, largestGroup: deps.latency.gate.largestGroup } : null);
      if (m === "DELETE") {
        deps.latency.gate?.releaseAll();
        deps.latency.gate = undefined;
        return emptyResponse(204, noStore);
      }
      if (m === "PUT") {
        const body = parseJsonBody(ctx);
        const parsed = parseGateSpec(body.ok ? body.value : undefined);
        if (!parsed.ok) return bad(parsed.message);
        deps.latency.gate?.releaseAll();
        deps.latency.gate = new Gate(parsed.spec);
        return ok(parsed.spec);
      }
      return notAllowed(m);
    }
    if (a === "latency" && route.length === 1) {
      if (m === "GET") return ok({ ms: deps.latency.ms });
      if (m === "PUT" || m === "POST") {
        const body = parseJsonBody(ctx);
        const ms = body.ok && isPlainObject(body.value) ? body.value.ms : undefined;
        if (!(typeof ms === "number" && Number.isInteger(ms) && ms >= 0 && ms <= MAX_LATENCY_MS)) {
          return bad(`The body must be {"ms": N} with N an integer from 0 to ${MAX_LATENCY_MS}.`);
        }
        deps.latency.ms = ms;
        return ok({ ms });
      }
      return notAllowed(m);
    }
    if (a === "apim" && b === "users" && c !== undefined && d === "keys" && e === undefined) {
      if (m !== "GET") return notAllowed(m);
      const serviceName = ctx.url.searchParams.get("service");
      const service = serviceName ? deps.apim.findByName(serviceName) : deps.apim.first();
      if (!service) return notFound(`No API Management service '${serviceName ?? ""}'.`);
      const userId = route[2];
      const keys = deps.apim.signingKeys(service, userId);
      if (!keys) return notFound(`No user '${userId}' in API Management service '${service.name}'.`);
      return ok({ serviceName: service.name, userId, primaryKey: keys.primaryKey, secondaryKey: keys.secondaryKey });
    }
    if (a === "apim" && b === "page-size" && route.length === 2) {
      // Users per page when a list call gives no $top (tests lower it to exercise nextLink).
      if (m !== "PUT") return notAllowed(m);
      const parsed = parseJsonBody(ctx);
      const size = parsed.ok && isPlainObject(parsed.value) ? parsed.value.size : undefined;
      if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > 1000) return bad("'size' must be an integer from 1 to 1000.");
      deps.apim.pageSize = size;
      return ok({ size });
    }
    if (a === "acr" && deps.acr) {
      const answer = deps.acr.control(ctx, route.slice(1));
      if (answer) return answer;
    }
    if (a === "tokens" && route.length === 1) {
      if (m !== "POST") return notAllowed(m);
      return this.mintToken(ctx);
    }
    if (a === "tokens" && b === "revoke" && route.length === 2) {
      if (m !== "POST") return notAllowed(m);
      const body = parseObjectBody(ctx);
      if (!body.ok) return body.response;
      const v = body.value;
      for (const name of ["clientId", "objectId"]) {
        if (v[name] !== undefined && (typeof v[name] !== "string" || v[name] === "")) return bad(`'${name}' must be a non-empty string.`);
      }
      return ok({ revoked: deps.tokens.revoke({ clientId: v.clientId as string | undefined, objectId: v.objectId as string | undefined }) });
    }
    if (a === "tokens" && b === "issuance" && route.length === 2) {
      if (m === "DELETE") {
        deps.tokens.issuanceOverride = undefined;
        return emptyResponse(204, noStore);
      }
      if (m !== "PUT") return notAllowed(m);
      const body = parseObjectBody(ctx);
      if (!body.ok) return body.response;
      const v = body.value;
      if (v.expiresInSeconds !== undefined && !(typeof v.expiresInSeconds === "number" && Number.isInteger(v.expiresInSeconds))) {
        return bad("'expiresInSeconds' must be an integer.");
      }
      if (v.audience !== undefined && (typeof v.audience !== "string" || v.audience === "")) return bad("'audience' must be a non-empty string.");
      if (v.count !== undefined && !(typeof v.count === "number" && Number.isInteger(v.count) && v.count >= 1)) return bad("'count' must be a positive integer.");
      deps.tokens.issuanceOverride = {
        expiresInSeconds: v.expiresInSeconds as number | undefined,
        audience: v.audience as string | undefined,
        remaining: v.count as number | undefined,
      };
      return ok(deps.tokens.issuanceOverride);
    }
    if (a === "apps" && route.length === 2 && (m === "PATCH" || m === "DELETE")) {
      const app = deps.directory.findAppById(route[1]);
      if (!app) return notFound(`No app with client id '${route[1]}'.`);
      if (m === "DELETE") {
        deps.directory.removeApp(app);
        return emptyResponse(204, noStore);
      }
      const body = parseObjectBody(ctx);
      if (!body.ok) return body.response;
      const v = body.value;
      for (const name of ["disabled", "secretsExpired", "certificatesExpired"]) {
        if (v[name] !== undefined && typeof v[name] !== "boolean") return bad(`'${name}' must be true or false.`);
      }
      const past = Math.floor(Date.now() / 1000) - 86400;
      if (v.disabled !== undefined) app.disabled = v.disabled as boolean;
      if (v.secretsExpired === true) for (const sec of app.secrets) sec.expiresAt = past;
      if (v.secretsExpired === false) for (const sec of app.secrets) delete sec.expiresAt;
      if (v.certificatesExpired === true) for (const c of app.certificates) c.endDate = new Date(past * 1000);
      if (v.certificatesExpired === false) for (const c of app.certificates) c.endDate = new Date(Date.now() + 365 * 86400_000);
      return ok({
        clientId: app.appId,
        disabled: app.disabled === true,
        secretsExpired: app.secrets.some((x) => x.expiresAt !== undefined && x.expiresAt * 1000 <= Date.now()),
        certificatesExpired: app.certificates.some((c) => c.endDate.getTime() < Date.now()),
      });
    }
    if (a === "apps" && route.length === 1) {
      if (m !== "POST") return notAllowed(m);
      return this.createApp(ctx);
    }
    if (a === "apps" && c === "federated-credentials" && route.length === 3) {
      const app = deps.directory.findAppById(route[1]);
      if (!app) return notFound(`No app with client id '${route[1]}'.`);
      if (m === "GET") return ok(app.federatedCredentials);
      if (m !== "POST") return notAllowed(m);
      return this.addFederatedCredential(ctx, app);
    }
    if (a === "workload-identity" && b === "token" && route.length === 2) {
      if (m !== "POST") return notAllowed(m);
      return this.mintWorkloadToken(ctx);
    }
    return notFound(`No control endpoint '${ctx.method} ${ctx.rawPath}'.`);
  }

  private mintToken(ctx: RequestContext): EmulatorResponse {
    const body = parseJsonBody(ctx);
    if (!body.ok) return bad(`The body is not valid JSON: ${body.error}`);
    const v = body.value === undefined ? {} : body.value;
    if (!isPlainObject(v)) return bad("The body must be a JSON object.");
    const num = (name: string): number | undefined | "bad" => {
      const x = v[name];
      if (x === undefined) return undefined;
      return typeof x === "number" && Number.isFinite(x) ? Math.trunc(x) : "bad";
    };
    const expiresIn = num("expiresInSeconds");
    const notBeforeIn = num("notBeforeInSeconds");
    if (expiresIn === "bad" || notBeforeIn === "bad") return bad("'expiresInSeconds' and 'notBeforeInSeconds' must be numbers.");
    for (const name of ["audience", "tenantId"]) {
      if (v[name] !== undefined && typeof v[name] !== "string") return bad(`'${name}' must be a string.`);
    }
    if (v.claims !== undefined && !isPlainObject(v.claims)) return bad("'claims' must be an object.");
    if (v.clientId !== undefined && typeof v.clientId !== "string") return bad("'clientId' must be a string.");
    const app = v.clientId === undefined ? undefined : this.deps.directory.findAppById(v.clientId as string);
    if (v.clientId !== undefined && !app) return notFound(`No app with client id '${String(v.clientId)}'.`);
    const now = Math.floor(Date.now() / 1000);
    const accessToken = this.deps.tokens.mint({
      tenantId: (v.tenantId as string | undefined) ?? app?.tenantId ?? this.deps.tenantId,
      appId: app?.appId ?? this.deps.clientId,
      objectId: app?.servicePrincipalId ?? this.deps.servicePrincipalId,
      audience: (v.audience as string | undefined) ?? "https://management.azure.com",
      issuedAt: now,
      notBefore: now + (notBeforeIn ?? 0),
      expiresAt: now + (expiresIn ?? 3599),
      claims: v.claims as Record<string, unknown> | undefined,
    });
    return ok({ accessToken });
  }

  /** POST /_emulator/apps: a new app registration + service principal in the demo tenant. */
  private createApp(ctx: RequestContext): EmulatorResponse {
    const body = parseObjectBody(ctx);
    if (!body.ok) return body.response;
    const v = body.value;
    if (v.displayName !== undefined && (typeof v.displayName !== "string" || v.displayName.trim() === "")) {
      return bad("'displayName' must be a non-empty string.");
    }
    const access = v.access ?? "contributor";
    if (access !== "contributor" && access !== "none") return bad("'access' must be 'contributor' or 'none'.");
    const app = this.deps.directory.addApp({ tenantId: this.deps.tenantId, displayName: v.displayName as string | undefined });
    if (access === "contributor") this.deps.directory.addRoleAssignment(app.servicePrincipalId, this.deps.contributorScope, "Contributor");
    return jsonResponse(
      201,
      { clientId: app.appId, clientSecret: app.secrets[0].value, tenantId: app.tenantId, objectId: app.servicePrincipalId, displayName: app.displayName, access },
      noStore,
    );
  }

  /** POST /_emulator/apps/{clientId}/federated-credentials: trust the OIDC issuer's tokens for `subject`. */
  private addFederatedCredential(ctx: RequestContext, app: AppRecord): EmulatorResponse {
    const body = parseObjectBody(ctx);
    if (!body.ok) return body.response;
    const v = body.value;
    if (typeof v.subject !== "string" || v.subject === "") return bad("'subject' must be a non-empty string.");
    if (v.name !== undefined && (typeof v.name !== "string" || v.name === "")) return bad("'name' must be a non-empty string.");
    if (v.audiences !== undefined && !(Array.isArray(v.audiences) && v.audiences.length > 0 && v.audiences.every((x) => typeof x === "string" && x !== ""))) {
      return bad("'audiences' must be a non-empty array of strings.");
    }
    const record = this.deps.directory.addFederatedCredential(app, {
      issuer: this.deps.oidc.issuer,
      subject: v.subject,
      name: v.name as string | undefined,
      audiences: v.audiences as string[] | undefined,
    });
    return jsonResponse(201, record, noStore);
  }

  /** POST /_emulator/workload-identity/token: a projected service-account token from the OIDC issuer. */
  private mintWorkloadToken(ctx: RequestContext): EmulatorResponse {
    const body = parseObjectBody(ctx);
    if (!body.ok) return body.response;
    const v = body.value;
    for (const name of ["subject", "clientId", "audience"]) {
      if (v[name] !== undefined && (typeof v[name] !== "string" || v[name] === "")) return bad(`'${name}' must be a non-empty string.`);
    }
    const expiresIn = v.expiresInSeconds;
    if (expiresIn !== undefined && !(typeof expiresIn === "number" && Number.isInteger(expiresIn))) return bad("'expiresInSeconds' must be an integer.");
    const clientId = (v.clientId as string | undefined) ?? this.deps.clientId;
    const app = this.deps.directory.findAppById(clientId);
    if (!app) return notFound(`No app with client id '${clientId}'.`);
    const subject = (v.subject as string | undefined) ?? app.federatedCredentials[0]?.subject ?? DEFAULT_WORKLOAD_SUBJECT;
    const token = this.deps.oidc.mint({
      subject,
      audiences: [(v.audience as string | undefined) ?? TOKEN_EXCHANGE_AUDIENCE],
      expiresInSeconds: expiresIn as number | undefined,
    });
    return ok({ token, subject, issuer: this.deps.oidc.issuer });
  }
}

/** A JSON object body (an empty body counts as {}). */
function parseObjectBody(ctx: RequestContext): { ok: true; value: Record<string, unknown> } | { ok: false; response: EmulatorResponse } {
  const body = parseJsonBody(ctx);
  if (!body.ok) return { ok: false, response: bad(`The body is not valid JSON: ${body.error}`) };
  const v = body.value === undefined ? {} : body.value;
  if (!isPlainObject(v)) return { ok: false, response: bad("The body must be a JSON object.") };
  return { ok: true, value: v };
}




