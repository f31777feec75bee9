/**
 * Azure Container Registry methods (New-AzContainerRegistryToken, Get-AzContainerRegistryToken,
 * Get-AzContainerRegistryScopeMap, New-AzContainerRegistryCredentials) on @azure/arm-containerregistry.
 * createToken runs the token PUT's long-running operation to its end in one request, polling as
 * src/protocol.ts (acr/*) describes, with progress and trace notifications (src/rpc/notify.ts).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { TokenCredential } from "@azure/core-auth";
import type { AdditionalPolicyConfig } from "../azure/throttle";
import { createContainerRegistryManagement, ContainerRegistryManagementContext } from "@azure/arm-containerregistry/api";
import { create as putToken, get as getToken, list as listTokens } from "@azure/arm-containerregistry/api/tokens";
import { get as getScopeMap, list as listScopeMaps } from "@azure/arm-containerregistry/api/scopeMaps";
import { generateCredentials as generateRegistryCredentials } from "@azure/arm-containerregistry/api/registries";
import { list as listRegistriesInSubscription, listByResourceGroup as listRegistriesInGroup } from "@azure/arm-containerregistry/api/registries";
import type { ScopeMap, SystemData, Token, TokenPassword } from "@azure/arm-containerregistry";
import {
  AcrCreateTokenParams,
  AcrCreateTokenResult,
  AcrGenerateCredentialsParams,
  AcrGenerateCredentialsResult,
  AcrGetScopeMapsParams,
  AcrGetScopeMapsResult,
  AcrGetTokensParams,
  AcrGetTokensResult,
  AcrListRegistriesParams,
  AcrListRegistriesResult,
  AcrScopeMap,
  AcrSystemData,
  AcrToken,
  BridgeErrorCodes,
} from "../protocol";
import { armClient, armTarget } from "../azure/arm";
import { BridgeError, invalidInput } from "../rpc/errors";
import type { Notifier } from "../rpc/notify";
import { sessionEnv } from "../azure/settings";
import { checkOperationUrl, checkPasswordName, checkRegistryRef, checkScopeMapName, checkTokenName, checkTokenProperties } from "./validation";
import { matchResourceId, resourceGroupOf, RESOURCE_ID_TEMPLATES } from "../azure/resourceId";

/**
 * The api-version sent: Az.ContainerRegistry's (2023-01-01-preview, in both recordings of the
 * cmdlet). The seed's model namespace (Api20220201Preview) names an older one; the SDK's default
 * (2025-11-01) was not yet served when the newest recording was made (acr.md §2.1).
 */
export const ACR_API_VERSION = "2023-01-01-preview";

/** The SDK's modular client context, built like every ARM client here (src/azure/arm.ts). */
export class AcrClient {
  readonly context: ContainerRegistryManagementContext;
  constructor(
    credential: TokenCredential,
    subscriptionId: string,
    options: { endpoint: string; credentialScopes: string[]; userAgentOptions: { userAgentPrefix: string }; additionalPolicies?: AdditionalPolicyConfig[] },
  ) {
    this.context = createContainerRegistryManagement(credential, subscriptionId, {
      endpoint: options.endpoint,
      credentials: { scopes: options.credentialScopes },
      userAgentOptions: options.userAgentOptions,
      additionalPolicies: options.additionalPolicies,
      apiVersion: ACR_API_VERSION,
    });
  }
}

function client(p: { context: AcrCreateTokenParams["context"]; subscriptionId?: string }): { acr: AcrClient; armEndpoint: string; subscriptionId: string } {
  const target = armTarget(p.context, p.subscriptionId, "SubscriptionId");
  return { acr: armClient(AcrClient, target), armEndpoint: target.settings.armEndpoint, subscriptionId: target.subscriptionId };
}

// ----- mapping ------------------------------------------------------------------------------------

const iso = (d: Date | string | undefined | null): string | undefined => {
  if (d === undefined || d === null || d === "") return undefined;
  const date = d instanceof Date ? d : new Date(d);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};

function systemData(s: SystemData | Record<string, unknown> | undefined): AcrSystemData | undefined {
  if (!s) return undefined;
  const x = s as Record<string, unknown>;
  return {
    createdBy: x.createdBy as string | undefined,
    createdByType: x.createdByType as string | undefined,
    createdAt: iso(x.createdAt as Date | string | undefined),
    lastModifiedBy: x.lastModifiedBy as string | undefined,
    lastModifiedByType: x.lastModifiedByType as string | undefined,
    lastModifiedAt: iso(x.lastModifiedAt as Date | string | undefined),
  };
}

function passwordOut(p: TokenPassword | Record<string, unknown>): AcrToken["passwords"][number] {
  const x = p as Record<string, unknown>;
  return {
    name: x.name as string | undefined,
    creationTime: iso(x.creationTime as Date | string | undefined),
    expiry: iso(x.expiry as Date | string | undefined),
    ...(typeof x.value === "string" ? { value: x.value } : {}),
  };
}

/** A token from the SDK's (flattened) model. */
function tokenFromModel(t: Token): AcrToken {
  return {
    id: t.id ?? "",
    name: t.name ?? "",
    type: t.type ?? "",
    resourceGroupName: resourceGroupOf(t.id),
    systemData: systemData(t.systemData),
    creationDate: iso(t.creationDate),
    provisioningState: t.provisioningState,
    scopeMapId: t.scopeMapId,
    status: t.status,
    certificates: (t.credentials?.certificates ?? []).map((c) => ({ name: c.name, expiry: iso(c.expiry), thumbprint: c.thumbprint, encodedPemCertificate: c.encodedPemCertificate })),
    passwords: (t.credentials?.passwords ?? []).map(passwordOut),
  };
}

/** A token from a raw answer body (the PUT's first answer, which the SDK does not deserialize for us). */
function tokenFromJson(body: unknown): AcrToken | undefined {
  if (!body || typeof body !== "object" || typeof (body as { id?: unknown }).id !== "string") return undefined;
  const b = body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const props = (b.properties ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const creds = (props.credentials ?? {}) as Record<string, unknown[]>;
  return {
    id: b.id,
    name: b.name ?? "",
    type: b.type ?? "",
    resourceGroupName: resourceGroupOf(b.id),
    systemData: systemData(b.systemData),
    creationDate: iso(props.creationDate),
    provisioningState: props.provisioningState,
    scopeMapId: props.scopeMapId,
    status: props.status,
    certificates: (creds.certificates ?? []).map((c) => {
      const x = c as Record<string, string>;
      return { name: x.name, expiry: iso(x.expiry), thumbprint: x.thumbprint, encodedPemCertificate: x.encodedPemCertificate };
    }),
    passwords: (creds.passwords ?? []).map((p) => passwordOut(p as Record<string, unknown>)),
  };
}

function scopeMapFromModel(m: ScopeMap): AcrScopeMap {
  return {
    id: m.id ?? "",
    name: m.name ?? "",
    type: m.type ?? "",
    resourceGroupName: resourceGroupOf(m.id),
    description: m.description,
    scopeMapType: m.typePropertiesType,
    creationDate: iso(m.creationDate),
    provisioningState: m.provisioningState,
    actions: m.actions ?? [],
    systemData: systemData(m.systemData),
  };
}

function retryAfter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value); // an HTTP date
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

interface RawResponseLike {
  status: string | number;
  headers: { get(name: string): string | undefined } | Record<string, string>;
  request?: { url?: string };
  body?: unknown;
  parsedBody?: unknown;
  bodyAsText?: string | null;
}

function headerOf(r: RawResponseLike, name: string): string | undefined {
  const h = r.headers as { get?: (n: string) => string | undefined } & Record<string, string>;
  if (typeof h.get === "function") return h.get(name) ?? undefined;
  const key = Object.keys(h).find((k) => k.toLowerCase() === name);
  return key ? h[key] : undefined;
}

// ----- methods ------------------------------------------------------------------------------------

/** The PUT's first answer, as it came. */
interface OperationResponse {
  statusCode: number;
  /** The PUT's URL (the poll URL of last resort, and -NoWait's target when no header names one). */
  requestUrl: string;
  azureAsyncOperation?: string;
  location?: string;
  retryAfterSeconds?: number;
  /** The body, when it is a token. */
  token?: AcrToken;
}

/** One GET of the operation's status URL. */
interface PollResult {
  statusCode: number;
  /** `status` of the status monitor, or `properties.provisioningState` of a resource. */
  status?: string;
  /** Succeeded or Canceled (or a body with neither field): stop polling. Failed is thrown instead. */
  done: boolean;
  retryAfterSeconds?: number;
  azureAsyncOperation?: string;
  location?: string;
}

/** Az's wait before a poll when the answer names no Retry-After. */
const DEFAULT_RETRY_AFTER_S = 30;
/** The operation's bound when AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS does not set one. */
const DEFAULT_OPERATION_TIMEOUT_S = 600;

/**
 * How long (seconds) an operation may go on before it fails with OperationTimeout: the session's
 * AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS (a number > 0, at most a week), else 600. Az's generated
 * cmdlets poll for as long as the service says InProgress; the bound keeps a script from waiting
 * forever on an operation that never ends.
 */
export function operationTimeoutSeconds(env: Record<string, string>): number {
  const raw = env.AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS;
  const value = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
  return Number.isFinite(value) && value > 0 ? Math.min(value, 604_800) : DEFAULT_OPERATION_TIMEOUT_S;
}

async function submitToken(acr: AcrClient, p: AcrCreateTokenParams, tokenName: string, abortSignal: AbortSignal): Promise<OperationResponse> {
  const props = checkTokenProperties(p.token);
  let first: RawResponseLike | undefined;
  const body: Token = {
    scopeMapId: props.scopeMapId,
    status: props.status,
    credentials:
      props.certificates || props.passwords
        ? {
            certificates: props.certificates?.map((c) => ({ name: c.name, expiry: c.expiry ? new Date(c.expiry) : undefined, thumbprint: c.thumbprint, encodedPemCertificate: c.encodedPemCertificate })),
            passwords: props.passwords?.map((pw) => ({ name: pw.name, creationTime: pw.creationTime ? new Date(pw.creationTime) : undefined, expiry: pw.expiry ? new Date(pw.expiry) : undefined })),
          }
        : undefined,
  };
  const poller = putToken(acr.context, p.resourceGroupName, p.registryName, tokenName, body, {
    abortSignal,
    onResponse: (raw) => {
      first ??= raw as unknown as RawResponseLike;
    },
  });
  // Only the first request: the loop below polls (the SDK's poller never polls unless asked to),
  // with the project's bound, Retry-After and 404 rules, and progress for the cmdlet.
  await poller.submitted();
  if (!first) throw new Error("The token PUT gave no response.");
  let parsed: unknown = first.parsedBody ?? first.body;
  if (parsed === undefined && typeof first.bodyAsText === "string" && first.bodyAsText !== "") {
    try {
      parsed = JSON.parse(first.bodyAsText);
    } catch {
      parsed = undefined;
    }
  }
  return {
    statusCode: Number(first.status),
    requestUrl: first.request?.url ?? "",
    azureAsyncOperation: headerOf(first, "azure-asyncoperation"),
    location: headerOf(first, "location"),
    retryAfterSeconds: retryAfter(headerOf(first, "retry-after")),
    token: tokenFromJson(parsed),
  };
}

/**
 * How to look at the token later: the Get-AzContainerRegistryToken line for this call, pasteable
 * (single-quoted literals) and with the subscription the call used, wherever it came from.
 */
function tokenHint(p: AcrCreateTokenParams, tokenName: string, subscriptionId: string): string {
  const lit = (v: string) => `'${v.replace(/['\u2018\u2019\u201a\u201b]/g, "$&$&")}'`;
  return `Get-AzContainerRegistryToken -Name ${lit(tokenName)} -RegistryName ${lit(p.registryName)} -ResourceGroupName ${lit(p.resourceGroupName)} -SubscriptionId ${lit(subscriptionId)}`;
}

/** The status URL answered 404: the service no longer knows the operation. */
function operationNotFound(p: AcrCreateTokenParams, subscriptionId: string, tokenName: string, url: string, serviceCode: string | undefined, serviceMessage: string | undefined, requestId: string | undefined): BridgeError {
  const hint = tokenHint(p, tokenName, subscriptionId);
  let service = `Error Code: ${serviceCode ?? "Http404"}; Error Message: ${serviceMessage ?? "Not Found"}`;
  if (requestId) service += `; Request Id: ${requestId}`;
  const message =
    `The status of the operation creating token '${tokenName}' could not be read: its URL answered 404 Not Found (${service}). ` +
    `The service no longer knows the operation; the token may or may not have been created: check it with ${hint}. The operation's URL: ${url}`;
  return new BridgeError(BridgeErrorCodes.OperationNotFound, message, {
    category: "ObjectNotFound",
    errorId: "OperationNotFound",
    statusCode: 404,
    serviceCode,
    serviceMessage,
    requestId,
    recommendedAction: `Check the token with ${hint}.`,
  });
}

/** Not finished at the bound: the operation goes on at the service, nothing polls it any more. */
function operationTimeout(p: AcrCreateTokenParams, subscriptionId: string, tokenName: string, url: string, seconds: number, lastStatus: string): BridgeError {
  const s = String(Math.round(seconds * 1000) / 1000);
  const hint = tokenHint(p, tokenName, subscriptionId);
  const message =
    `The operation creating token '${tokenName}' did not finish within ${s} s (last status: ${lastStatus}); nothing polls it any more. ` +
    `It may still finish at the service: check the token's ProvisioningState later with ${hint}, or the operation at ${url}. ` +
    `To wait longer, set $env:AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS (now ${s}).`;
  return new BridgeError(BridgeErrorCodes.OperationTimeout, message, {
    category: "OperationTimeout",
    errorId: "OperationTimeout",
    recommendedAction: `Check the token later with ${hint}; set $env:AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS to wait longer.`,
  });
}

/** One GET of the status URL (verbatim: it is signed), as the SDK's poller sends it. */
async function poll(acr: AcrClient, armEndpoint: string, rawUrl: string, abortSignal: AbortSignal, notFound: (code?: string, message?: string, requestId?: string) => Error): Promise<PollResult> {
  const url = checkOperationUrl(rawUrl, armEndpoint);
  const r = await acr.context.pathUnchecked(url.toString()).get({ abortSignal });
  const statusCode = Number(r.status);
  const requestId = r.headers["x-ms-request-id"];
  const body = (r.body ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (statusCode >= 400) {
    const err = (body.error ?? {}) as { code?: string; message?: string };
    if (statusCode === 404) throw notFound(err.code, err.message, requestId);
    throw new BridgeError(BridgeErrorCodes.ServiceError, err.message ?? `The operation status request failed (HTTP ${statusCode}).`, {
      category: statusCode >= 500 ? "ResourceUnavailable" : "InvalidOperation",
      errorId: err.code ?? `Http${statusCode}`,
      statusCode,
      serviceCode: err.code,
      serviceMessage: err.message,
      requestId,
    });
  }
  const result: PollResult = {
    statusCode,
    done: false,
    retryAfterSeconds: retryAfter(r.headers["retry-after"]),
    azureAsyncOperation: r.headers["azure-asyncoperation"],
    location: r.headers["location"],
  };
  if (statusCode === 201 || statusCode === 202) return result; // keep polling
  const state: string | undefined = body?.properties?.provisioningState ?? body?.status;
  result.status = state;
  if (state === undefined) {
    result.done = true; // neither field: that body is the answer (acr.md §2.3 step 4)
    return result;
  }
  const s = String(state).toLowerCase();
  if (s === "failed") {
    const err = (body.error ?? {}) as { code?: string; message?: string };
    const message = err.message ?? body?.properties?.statusMessage ?? "The long-running operation has failed.";
    throw new BridgeError(BridgeErrorCodes.ServiceError, message, {
      category: "InvalidOperation",
      errorId: err.code ?? "OperationFailed",
      statusCode,
      serviceCode: err.code ?? "OperationFailed",
      serviceMessage: message,
      requestId,
    });
  }
  result.done = s === "succeeded" || s === "canceled";
  return result;
}

/**
 * Waits `ms` before the next poll, telling the cmdlet once a second how far the wait is (Az's "In
 * progress" / "Checking operation status" record). Ends at once, with an AbortError, when the
 * request is cancelled.
 */
async function waitWithProgress(ms: number, tokenName: string, notify: Notifier, abortSignal: AbortSignal): Promise<void> {
  const start = Date.now();
  for (let second = 0; ; second++) {
    notify.progress({
      activity: "In progress",
      status: "Checking operation status",
      currentOperation: `Creating token '${tokenName}'`,
      percent: ms > 0 ? Math.min(99, Math.floor((second * 100_000) / ms)) : 0,
    });
    const until = Math.min(ms, (second + 1) * 1000);
    const left = until - (Date.now() - start);
    if (left > 0) await sleep(left, undefined, { signal: abortSignal });
    if (until >= ms) break;
  }
  abortSignal.throwIfAborted();
}

/**
 * New-AzContainerRegistryToken: the PUT, then (unless noWait) its operation polled to the end, the
 * token read, and its passwords generated (generatePasswords). See src/protocol.ts (acr/*).
 */
export async function createToken(p: AcrCreateTokenParams, abortSignal: AbortSignal, notify: Notifier): Promise<AcrCreateTokenResult> {
  checkRegistryRef(p);
  const tokenName = checkTokenName(p.tokenName);
  const generate = p.generatePasswords ?? [];
  const calls = generate.map((g) => {
    const name = g.passwordName === undefined || g.passwordName === null || g.passwordName === "" ? undefined : checkPasswordName(g.passwordName, "CredentialsPassword");
    let expiry: Date | undefined;
    if (g.expiry !== undefined && g.expiry !== null && g.expiry !== "") {
      expiry = new Date(g.expiry);
      if (Number.isNaN(expiry.getTime())) throw invalidInput("InvalidExpiry", "CredentialsPassword", `Expiry '${g.expiry}' is not a valid date.`);
    }
    return { name, expiry };
  });
  const { acr, armEndpoint, subscriptionId } = client(p);
  const first = await submitToken(acr, p, tokenName, abortSignal);
  let url = first.azureAsyncOperation ?? first.location ?? first.requestUrl;
  notify.verbose(`AzTokenBridge: PUT token '${tokenName}': HTTP ${first.statusCode}.`);
  // (The module refuses -GeneratePassword with -NoWait before any call: generatePasswords is not used then.)
  if (p.noWait) return { target: url };

  // The bound starts with the PUT's answer; the last poll is made at it.
  const seconds = operationTimeoutSeconds(sessionEnv(p.context));
  const deadline = Date.now() + seconds * 1000;
  let token: AcrToken | undefined;
  const state = first.token?.provisioningState ?? "";
  if (first.statusCode === 200 && (state === "Succeeded" || state === "Canceled")) {
    // An update answered at once: the body is the token (Az would wait 30 s and GET it again).
    token = first.token;
  } else {
    let delay = first.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_S;
    for (;;) {
      notify.debug(`Delaying ${delay} seconds before polling.`);
      await waitWithProgress(Math.max(0, Math.min(delay * 1000, deadline - Date.now())), tokenName, notify, abortSignal);
      const r = await poll(acr, armEndpoint, url, abortSignal, (code, message, requestId) => operationNotFound(p, subscriptionId, tokenName, url, code, message, requestId));
      const status = r.status ?? `HTTP ${r.statusCode}`;
      notify.verbose(`AzTokenBridge: operation status ${status}.`);
      if (r.done) break;
      url = r.azureAsyncOperation ?? r.location ?? url;
      // Not finished at the bound (any status that is not terminal, known or not): nothing polls it any more.
      if (Date.now() >= deadline) throw operationTimeout(p, subscriptionId, tokenName, url, seconds, status);
      delay = r.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_S;
    }
    // The final GET every client does.
    token = tokenFromModel(await getToken(acr.context, p.resourceGroupName, p.registryName, tokenName, { abortSignal }));
  }
  if (!token) throw new Error("The token PUT's answer carried no token.");
  if (calls.length) {
    const generated: AcrToken["passwords"] = [];
    for (const c of calls) {
      notify.verbose(`AzTokenBridge: generating ${c.name ?? "both passwords"} of token '${tokenName}'.`);
      const r = await generateRegistryCredentials(acr.context, p.resourceGroupName, p.registryName, { tokenId: token.id, name: c.name, expiry: c.expiry }, { abortSignal, updateIntervalInMs: 1000 });
      generated.push(...(r.passwords ?? []).map(passwordOut));
    }
    // The token with the generated passwords (and their values) in place of their metadata.
    const names = new Set(generated.map((g) => g.name));
    token = { ...token, passwords: [...token.passwords.filter((x) => !names.has(x.name)), ...generated] };
  }
  return { token };
}

export async function getTokens(p: AcrGetTokensParams, abortSignal: AbortSignal): Promise<AcrGetTokensResult> {
  checkRegistryRef(p);
  const { acr } = client(p);
  if (p.tokenName !== undefined && p.tokenName !== null && p.tokenName !== "") {
    const name = checkTokenName(p.tokenName);
    return { tokens: [tokenFromModel(await getToken(acr.context, p.resourceGroupName, p.registryName, name, { abortSignal }))] };
  }
  const tokens: AcrToken[] = [];
  for await (const t of listTokens(acr.context, p.resourceGroupName, p.registryName, { abortSignal })) tokens.push(tokenFromModel(t));
  return { tokens };
}

export async function getScopeMaps(p: AcrGetScopeMapsParams, abortSignal: AbortSignal): Promise<AcrGetScopeMapsResult> {
  checkRegistryRef(p);
  const { acr } = client(p);
  if (p.scopeMapName !== undefined && p.scopeMapName !== null && p.scopeMapName !== "") {
    checkScopeMapName(p.scopeMapName);
    return { scopeMaps: [scopeMapFromModel(await getScopeMap(acr.context, p.resourceGroupName, p.registryName, p.scopeMapName, { abortSignal }))] };
  }
  const scopeMaps: AcrScopeMap[] = [];
  for await (const m of listScopeMaps(acr.context, p.resourceGroupName, p.registryName, { abortSignal })) scopeMaps.push(scopeMapFromModel(m));
  return { scopeMaps };
}

export async function generateCredentials(p: AcrGenerateCredentialsParams, abortSignal: AbortSignal): Promise<AcrGenerateCredentialsResult> {
  checkRegistryRef(p);
  const tokenId = matchResourceId(RESOURCE_ID_TEMPLATES.ContainerRegistryToken, p.tokenId ?? "");
  if (!tokenId) {
    throw invalidInput(
      "InvalidTokenId",
      "TokenId",
      `Token id '${p.tokenId ?? ""}' is invalid: it must be a resource id /subscriptions/…/resourceGroups/…/providers/Microsoft.ContainerRegistry/registries/…/tokens/….`,
    );
  }
  checkTokenName(tokenId.tokenName, "TokenId");
  const name = checkPasswordName(p.passwordName, "Name");
  let expiry: Date | undefined;
  if (p.expiry !== undefined && p.expiry !== null && p.expiry !== "") {
    expiry = new Date(p.expiry);
    if (Number.isNaN(expiry.getTime())) throw invalidInput("InvalidExpiry", "Expiry", `Expiry '${p.expiry}' is not a valid date.`);
  }
  const { acr } = client(p);
  const r = await generateRegistryCredentials(acr.context, p.resourceGroupName, p.registryName, { tokenId: p.tokenId, name, expiry }, { abortSignal, updateIntervalInMs: 1000 });
  return { username: r.username ?? "", passwords: (r.passwords ?? []).map(passwordOut) };
}

/** Argument completion: the registries of the subscription, or of one resource group (every page). */
export async function listRegistries(p: AcrListRegistriesParams, abortSignal: AbortSignal): Promise<AcrListRegistriesResult> {
  const { acr } = client(p);
  const pages = p.resourceGroupName
    ? listRegistriesInGroup(acr.context, p.resourceGroupName, { abortSignal })
    : listRegistriesInSubscription(acr.context, { abortSignal });
  const registries: AcrListRegistriesResult["registries"] = [];
  for await (const r of pages) {
    const resourceGroupName = resourceGroupOf(r.id) ?? "";
    registries.push({ id: r.id ?? "", name: r.name ?? "", resourceGroupName, location: r.location });
  }
  return { registries };
}
