/**
 * The emulator's HTTPS server: one origin (https://127.0.0.1:PORT) for every emulated service,
 * told apart by the first path segment:
 *
 *   /_emulator/…                                       control API (control.ts)
 *   /subscriptions/…, /providers/…, /tenants/…, …      Azure Resource Manager (arm/arm.ts)
 *   /msi/token                                         App Service managed identity endpoint (identity/appService.ts)
 *   /oidc/…                                            workload identity OIDC issuer (oidc/issuer.ts)
 *   /{tenant}/…                                        Entra ID (entra/entra.ts)
 *
 * For every service but the control API, in order: read the body → an injected fault, if one matches
 * (faults.ts), else the service's answer → the gate (gate.ts) → the configured latency → write →
 * request log entry.
 */
import * as https from "https";
import type { IncomingMessage, ServerResponse } from "http";
import type { EmulatorCertificate } from "./cert";
import type { ArmService } from "./arm/arm";
import type { ControlApi, LatencySetting } from "./control";
import type { EntraService } from "./entra/entra";
import type { FaultRecord, FaultStore } from "./faults";
import type { AppServiceIdentityEndpoint } from "./identity/appService";
import type { OidcIssuer } from "./oidc/issuer";
import { EmulatorResponse, jsonResponse, RequestContext, ServiceKind, splitPath } from "./http";
import type { RequestLog } from "./requestLog";
import { setTimeout as sleep } from "timers/promises";

/** First path segments that belong to ARM rather than to an Entra ID tenant. */
const ARM_ROOTS = new Set(["subscriptions", "providers", "tenants", "resources", "locations", "metadata"]);

/** Largest request body accepted (ARM's own limit is 4 MB). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ServerDeps {
  cert: EmulatorCertificate;
  entra: EntraService;
  arm: ArmService;
  identity: AppServiceIdentityEndpoint;
  oidc: OidcIssuer;
  control: ControlApi;
  log: RequestLog;
  faults: FaultStore;
  latency: LatencySetting;
  /** `https://127.0.0.1:PORT` once listening. */
  origin: () => string;
  /** Aborted when the emulator closes: answers still waiting out their latency are dropped. */
  shutdown: AbortSignal;
}

export function serviceFor(segments: string[]): ServiceKind {
  const first = (segments[0] ?? "").toLowerCase();
  if (first === "_emulator") return "control";
  if (ARM_ROOTS.has(first)) return "arm";
  // Not tenant names: Entra ID tenants are GUIDs or domain names (with a dot).
  if (first === "msi") return "identity";
  if (first === "oidc") return "oidc";
  return "entra";
}

export function createEmulatorServer(deps: ServerDeps): https.Server {
  let seq = 0;
  const server = https.createServer({ key: deps.cert.keyPem, cert: deps.cert.certPem }, (req, res) => {
    const receivedAt = Date.now();
    readBody(req)
      .then((body) => handle(deps, req, res, body, ++seq, receivedAt))
      .catch((e: unknown) => {
        if ((e as { code?: string }).code === "BODY_TOO_LARGE") {
          writeResponse(req, res, jsonResponse(413, { error: { code: "RequestEntityTooLarge", message: "The request content is too large." } }));
          return;
        }
        process.stderr.write(`aztokenbridge emulator: ${(e as Error)?.stack ?? String(e)}\n`);
        if (!res.headersSent) writeResponse(req, res, jsonResponse(500, { error: { code: "InternalServerError", message: "Emulator error." } }));
        else res.destroy();
      });
  });
  // Idle keep-alive sockets must not hold close() up for long.
  server.keepAliveTimeout = 5000;
  return server;
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse, body: Buffer, seq: number, receivedAt: number): Promise<void> {
  const origin = originFor(req, deps.origin());
  const url = new URL(req.url ?? "/", origin);
  const segments = splitPath(url.pathname);
  const service = serviceFor(segments);
  const ctx: RequestContext = {
    seq,
    method: (req.method ?? "GET").toUpperCase(),
    url,
    rawPath: url.pathname,
    segments,
    headers: req.headers,
    body,
    origin,
    receivedAt,
    service,
    logExtras: {},
  };

  if (service === "control") {
    writeResponse(req, res, await deps.control.handle(ctx));
    return;
  }

  const fault = deps.faults.take(ctx);
  let response: EmulatorResponse;
  if (fault?.reset) {
    response = { status: 0, headers: {}, resetConnection: true };
  } else if (fault) {
    response = faultResponse(deps, service, ctx, fault);
  } else {
    try {
      response = await serve(deps, service, ctx);
    } catch (e) {
      process.stderr.write(`aztokenbridge emulator: ${ctx.method} ${ctx.rawPath}: ${(e as Error)?.stack ?? String(e)}\n`);
      response =
        service === "arm"
          ? deps.arm.error(ctx, 500, "InternalServerError", "The emulator failed to process the request.")
          : service === "entra"
            ? deps.entra.error(ctx, 500, "server_error", 50000, "There was an error issuing a token or an issue with our sign-in service.")
            : jsonResponse(500, { error: "server_error", error_description: "The emulator failed to process the request." });
    }
  }
  const latencyMs = fault?.latencyMs ?? deps.latency.ms;
  const gate = deps.latency.gate?.matches(ctx.url.pathname) ? deps.latency.gate : undefined;
  if (latencyMs > 0 || gate) {
    // The client may give up while the answer waits out the gate or its latency (a cancelled
    // call): then nothing is written and the log says so (`clientAborted`), which tests of
    // cancellation read.
    const clientGone = new AbortController();
    const onClose = () => {
      if (!res.writableEnded) clientGone.abort();
    };
    res.once("close", onClose);
    try {
      const signal = AbortSignal.any([deps.shutdown, clientGone.signal]);
      if (gate) await gate.enter(signal);
      signal.throwIfAborted();
      if (latencyMs > 0) await sleep(latencyMs, undefined, { signal });
    } catch {
      if (clientGone.signal.aborted && !deps.shutdown.aborted) {
        ctx.logExtras.clientAborted = true;
        deps.log.record(ctx, 0, latencyMs, fault?.id);
      }
      req.socket.destroy(); // closing, or nobody to answer
      return;
    } finally {
      res.off("close", onClose);
    }
  }
  writeResponse(req, res, response);
  deps.log.record(ctx, response.resetConnection ? 0 : response.status, latencyMs, fault?.id);
}

function serve(deps: ServerDeps, service: ServiceKind, ctx: RequestContext): EmulatorResponse | Promise<EmulatorResponse> {
  switch (service) {
    case "arm":
      return deps.arm.handle(ctx);
    case "identity":
      return deps.identity.handle(ctx);
    case "oidc":
      return deps.oidc.handle(ctx);
    default:
      return deps.entra.handle(ctx);
  }
}

function faultResponse(deps: ServerDeps, service: ServiceKind, ctx: RequestContext, fault: FaultRecord): EmulatorResponse {
  switch (service) {
    case "arm":
      return deps.arm.faultResponse(ctx, fault);
    case "identity":
      return deps.identity.faultResponse(ctx, fault);
    case "oidc": {
      const retryAfter = fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined);
      const headers: Record<string, string> = retryAfter !== undefined ? { "Retry-After": String(retryAfter) } : {};
      if (typeof fault.body === "string") return { status: fault.status, headers: { ...headers, "Content-Type": "text/plain; charset=utf-8" }, body: fault.body };
      return jsonResponse(fault.status, fault.body ?? { error: "server_error", error_description: `Injected fault (HTTP ${fault.status}).` }, headers);
    }
    default:
      return deps.entra.faultResponse(ctx, fault);
  }
}

function writeResponse(req: IncomingMessage, res: ServerResponse, r: EmulatorResponse): void {
  if (r.resetConnection) {
    req.socket.destroy();
    return;
  }
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, "utf8");
  const headers: Record<string, string | number> = { ...r.headers, "Content-Length": body.length };
  res.writeHead(r.status, headers);
  res.end(req.method === "HEAD" ? undefined : body);
}

/**
 * The origin the client used, so metadata (issuer, token endpoint, nextLink) names the host it
 * knows: https://127.0.0.1:PORT by default, or localhost / [::1] on the same port.
 */
function originFor(req: IncomingMessage, fallback: string): string {
  const host = req.headers.host;
  const port = new URL(fallback).port;
  if (host && /^(127\.0\.0\.1|localhost|\[::1\]):\d+$/i.test(host) && host.endsWith(`:${port}`)) return `https://${host.toLowerCase()}`;
  return fallback;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners("data");
        req.resume();
        reject(Object.assign(new Error("request body too large"), { code: "BODY_TOO_LARGE" }));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
