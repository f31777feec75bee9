/**
 * The server's method table: each protocol RequestType bound to its handler. Handlers get their
 * params, an AbortSignal that fires on $/cancelRequest, and a Notifier (src/rpc/notify.ts) to send
 * progress, warnings and trace lines about the request while it runs.
 */
import { RequestType } from "vscode-jsonrpc";
import { ApimGetTenantAccess, ApimGetUsers, ApimListServices, ApimNewUserToken, ErrorData, Hello, HelloResult, PROTOCOL_VERSION } from "../protocol";
import type * as ApimHandlers from "../apim/handlers";
import { AcrCreateToken, AcrGenerateCredentials, AcrGetScopeMaps, AcrGetTokens, AcrListRegistries } from "../protocol";
import type * as AcrHandlers from "../acr/handlers";
import { PartnerNewAccessToken } from "../protocol";
import type * as PartnerHandlers from "../partner/handlers";
import { ArmParseResourceId } from "../protocol";
import { parseResourceId } from "../azure/resourceId";
import { VERSION } from "../version";
import type { Notifier } from "./notify";

export interface MethodEntry<P, R> {
  type: RequestType<P, R, ErrorData>;
  handler: (params: P, signal: AbortSignal, notify: Notifier) => Promise<R>;
}

function entry<P, R>(type: RequestType<P, R, ErrorData>, handler: (params: P, signal: AbortSignal, notify: Notifier) => Promise<R>): MethodEntry<P, R> {
  return { type, handler };
}

/**
 * A service's handlers, loaded on its first call: a server start loads no service and no Azure SDK,
 * and a session that only uses one service never loads the others (their SDKs are large).
 */
function lazy<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}
/* eslint-disable @typescript-eslint/no-require-imports */
const apim = lazy(() => require("../apim/handlers") as typeof ApimHandlers);
const acr = lazy(() => require("../acr/handlers") as typeof AcrHandlers);
const partner = lazy(() => require("../partner/handlers") as typeof PartnerHandlers);
/* eslint-enable @typescript-eslint/no-require-imports */

/** Loads every service now (the build runs this to put their code in the binary's code cache). */
export function loadAllServices(): void {
  apim();
  acr();
  partner();
}

async function hello(): Promise<HelloResult> {
  return { name: "aztokenbridge", version: VERSION, protocolVersion: PROTOCOL_VERSION, pid: process.pid, node: process.version };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const METHODS: MethodEntry<any, any>[] = [
  entry(Hello, hello),
  // No network, no sign-in: answered at once.
  entry(ArmParseResourceId, async (p) => parseResourceId(p)),
  entry(ApimNewUserToken, (p, signal) => apim().newUserToken(p, signal)),
  entry(ApimGetTenantAccess, (p, signal) => apim().getTenantAccess(p, signal)),
  entry(ApimGetUsers, (p, signal) => apim().getUsers(p, signal)),
  entry(ApimListServices, (p, signal) => apim().listServices(p, signal)),
  entry(AcrCreateToken, (p, signal, notify) => acr().createToken(p, signal, notify)),
  entry(AcrGetTokens, (p, signal) => acr().getTokens(p, signal)),
  entry(AcrGetScopeMaps, (p, signal) => acr().getScopeMaps(p, signal)),
  entry(AcrGenerateCredentials, (p, signal) => acr().generateCredentials(p, signal)),
  entry(AcrListRegistries, (p, signal) => acr().listRegistries(p, signal)),
  entry(PartnerNewAccessToken, (p, signal, notify) => partner().newAccessToken(p, signal, notify)),
];
