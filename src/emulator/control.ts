/**
 * The control API, under `/_emulator/` on the emulator origin (controlEndpoint). No authentication:
 * the server listens on 127.0.0.1 only. Control calls are neither delayed, faulted nor logged.
 *
 *   GET    /_emulator                          status: info (without the client secret), latency, counts
 *   GET    /_emulator/requests                 the request log (RequestLogEntry[], no secrets)
 *   DELETE /_emulator/requests                 clears it                                            → 204
 *   GET    /_emulator/faults                   active faults
 *   POST   /_emulator/faults                   {match:{service?,method?,pathContains?}, status, retryAfterSeconds?, count?, body?, reset?} → 201 fault
 *   DELETE /_emulator/faults[/{id}]            clears all / one                                     → 204
 *   GET    /_emulator/latency                  {"ms":N}
 *   PUT    /_emulator/latency                  {"ms":N} (0…600000)                                  → 200 {"ms":N}
 *   GET    /_emulator/apim/users/{id}/keys     {serviceName,userId,primaryKey,secondaryKey} — the keys a token
 *                                              for that user id is signed with (tenant access keys for
 *                                              `integration` / `git`); ?service= picks another service
 *   POST   /_emulator/tokens                   mints an ARM access token signed by this emulator, for tests of
 *                                              ARM's token checks: {expiresInSeconds?, notBeforeInSeconds?,
 *                                              audience?, tenantId?, claims?} → {"accessToken": "…"}
 *
 * Errors: {"error":{"code","message"}} with 400 / 404 / 405.
 */
import type { TokenService } from "./entra/tokens";
import { FaultStore, parseFaultSpec } from "./faults";
import { EmulatorResponse, emptyResponse, jsonResponse, parseJsonBody, RequestContext } from "./http";
import type { RequestLog } from "./requestLog";
import type { ApimStore } from "./apim/model";
import { isPlainObject } from "./util";

export const MAX_LATENCY_MS = 600_000;

/** Mutable latency setting shared with the server. */
export interface LatencySetting {
  ms: number;
}

export interface ControlDeps {
  /** What GET /_emulator shows (must not contain secrets). */
  publicInfo: () => Record<string, unknown>;
  log: RequestLog;
  faults: FaultStore;
  latency: LatencySetting;
  apim: ApimStore;
  tokens: TokenService;
  /** Defaults for minted tokens. */
  tenantId: string;
  clientId: string;
  servicePrincipalId: string;
}

const noStore = { "Cache-Control": "no-store" };

export class ControlApi {
  constructor(private readonly deps: ControlDeps) {}

  handle(ctx: RequestContext): EmulatorResponse {
    // segments[0] is "_emulator".
    const route = ctx.segments.slice(1);
    const [a, b, c, d, e] = route.map((s) => s.toLowerCase());
    const m = ctx.method;
    const { deps } = this;

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
    if (a === "tokens" && route.length === 1) {
      if (m !== "POST") return notAllowed(m);
      return this.mintToken(ctx);
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
    const now = Math.floor(Date.now() / 1000);
    const accessToken = this.deps.tokens.mint({
      tenantId: (v.tenantId as string | undefined) ?? this.deps.tenantId,
      appId: this.deps.clientId,
      objectId: this.deps.servicePrincipalId,
      audience: (v.audience as string | undefined) ?? "https://management.azure.com",
      issuedAt: now,
      notBefore: now + (notBeforeIn ?? 0),
      expiresAt: now + (expiresIn ?? 3599),
      claims: v.claims as Record<string, unknown> | undefined,
    });
    return ok({ accessToken });
  }
}

function ok(body: unknown): EmulatorResponse {
  return jsonResponse(200, body, noStore);
}

function bad(message: string): EmulatorResponse {
  return jsonResponse(400, { error: { code: "BadRequest", message } }, noStore);
}

function notFound(message: string): EmulatorResponse {
  return jsonResponse(404, { error: { code: "NotFound", message } }, noStore);
}

function notAllowed(method: string): EmulatorResponse {
  return jsonResponse(405, { error: { code: "MethodNotAllowed", message: `Method '${method}' is not supported here.` } }, noStore);
}
