/**
 * The server's method table: each protocol RequestType bound to its handler. Handlers get their
 * params and an AbortSignal that fires on $/cancelRequest.
 */
import { RequestType } from "vscode-jsonrpc";
import { ApimGetTenantAccess, ApimGetUsers, ApimListServices, ApimNewUserToken, ErrorData, Hello, HelloResult, PROTOCOL_VERSION } from "../protocol";
import { getTenantAccess, getUsers, listServices, newUserToken } from "../apim/handlers";
import { AcrBeginCreateToken, AcrGenerateCredentials, AcrGetScopeMaps, AcrGetTokens, AcrPollOperation } from "../protocol";
import { beginCreateToken, generateCredentials, getScopeMaps, getTokens, pollOperation } from "../acr/handlers";
import { PartnerCompleteLogin, PartnerNewAccessToken } from "../protocol";
import { completeLogin, newAccessToken } from "../partner/handlers";
import { VERSION } from "../version";

export interface MethodEntry<P, R> {
  type: RequestType<P, R, ErrorData>;
  handler: (params: P, signal: AbortSignal) => Promise<R>;
}

function entry<P, R>(type: RequestType<P, R, ErrorData>, handler: (params: P, signal: AbortSignal) => Promise<R>): MethodEntry<P, R> {
  return { type, handler };
}

async function hello(): Promise<HelloResult> {
  return { name: "aztokenbridge", version: VERSION, protocolVersion: PROTOCOL_VERSION, pid: process.pid, node: process.version };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const METHODS: MethodEntry<any, any>[] = [
  entry(Hello, hello),
  entry(ApimNewUserToken, newUserToken),
  entry(ApimGetTenantAccess, getTenantAccess),
  entry(ApimGetUsers, getUsers),
  entry(ApimListServices, listServices),
  entry(AcrBeginCreateToken, beginCreateToken),
  entry(AcrPollOperation, pollOperation),
  entry(AcrGetTokens, getTokens),
  entry(AcrGetScopeMaps, getScopeMaps),
  entry(AcrGenerateCredentials, generateCredentials),
  entry(PartnerNewAccessToken, newAccessToken),
  entry(PartnerCompleteLogin, completeLogin),
];
