/**
 * Azure Container Registry methods (New-AzContainerRegistryToken, Get-AzContainerRegistryToken,
 * Get-AzContainerRegistryScopeMap, New-AzContainerRegistryCredentials) on @azure/arm-containerregistry.
 * The token PUT's polling loop runs in the module (src/protocol.ts, acr/*): beginCreateToken sends
 * the PUT and returns its first answer; pollOperation does one GET of the status URL.
 */
import type { TokenCredential } from "@azure/core-auth";
import type { AdditionalPolicyConfig } from "../azure/throttle";
import { createContainerRegistryManagement, ContainerRegistryManagementContext } from "@azure/arm-containerregistry/api";
import { create as createToken, get as getToken, list as listTokens } from "@azure/arm-containerregistry/api/tokens";
import { get as getScopeMap, list as listScopeMaps } from "@azure/arm-containerregistry/api/scopeMaps";
import { generateCredentials as generateRegistryCredentials } from "@azure/arm-containerregistry/api/registries";
import { list as listRegistriesInSubscription, listByResourceGroup as listRegistriesInGroup } from "@azure/arm-containerregistry/api/registries";
import type { ScopeMap, SystemData, Token, TokenPassword } from "@azure/arm-containerregistry";
import {
  AcrBeginCreateTokenParams,
  AcrGenerateCredentialsParams,
  AcrGenerateCredentialsResult,
  AcrGetScopeMapsParams,
  AcrGetScopeMapsResult,
  AcrGetTokensParams,
  AcrGetTokensResult,
  AcrListRegistriesParams,
  AcrListRegistriesResult,
  AcrOperationResponse,
  AcrPollOperationParams,
  AcrPollOperationResult,
  AcrScopeMap,
  AcrSystemData,
  AcrToken,
  BridgeErrorCodes,
} from "../protocol";
import { armClient, armTarget } from "../azure/arm";
import { BridgeError, invalidInput } from "../rpc/errors";
import { checkOperationUrl, checkPasswordName, checkRegistryRef, checkScopeMapName, checkTokenName, checkTokenProperties, TOKEN_ID } from "./validation";

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

function client(p: { context: AcrBeginCreateTokenParams["context"]; subscriptionId?: string }): { acr: AcrClient; armEndpoint: string } {
  const target = armTarget(p.context, p.subscriptionId);
  return { acr: armClient(AcrClient, target), armEndpoint: target.settings.armEndpoint };
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

export async function beginCreateToken(p: AcrBeginCreateTokenParams, abortSignal: AbortSignal): Promise<AcrOperationResponse> {
  checkRegistryRef(p);
  const tokenName = checkTokenName(p.tokenName);
  const props = checkTokenProperties(p.token);
  const { acr } = client(p);
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
  const poller = createToken(acr.context, p.resourceGroupName, p.registryName, tokenName, body, {
    abortSignal,
    onResponse: (raw) => {
      first ??= raw as unknown as RawResponseLike;
    },
  });
  // Only the first request: the module polls (the poller never polls unless asked to).
  await poller.submitted();
  if (!first) throw new Error("The token PUT gave no response.");
  const status = Number(first.status);
  const requestUrl = first.request?.url ?? "";
  let parsed: unknown = first.parsedBody ?? first.body;
  if (parsed === undefined && typeof first.bodyAsText === "string" && first.bodyAsText !== "") {
    try {
      parsed = JSON.parse(first.bodyAsText);
    } catch {
      parsed = undefined;
    }
  }
  return {
    statusCode: status,
    requestUrl,
    azureAsyncOperation: headerOf(first, "azure-asyncoperation"),
    location: headerOf(first, "location"),
    retryAfterSeconds: retryAfter(headerOf(first, "retry-after")),
    requestId: headerOf(first, "x-ms-request-id"),
    token: tokenFromJson(parsed),
  };
}

export async function pollOperation(p: AcrPollOperationParams, abortSignal: AbortSignal): Promise<AcrPollOperationResult> {
  // The operation's own subscription (the URL names it), when it is one.
  const sub = /\/subscriptions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\//i.exec(p.url ?? "")?.[1];
  const { acr, armEndpoint } = client({ context: p.context, subscriptionId: sub });
  const url = checkOperationUrl(p.url, armEndpoint);
  // The SDK's own poll request (what its poller sends): the URL verbatim, the client's pipeline.
  const r = await acr.context.pathUnchecked(url.toString()).get({ abortSignal });
  const statusCode = Number(r.status);
  const requestId = r.headers["x-ms-request-id"];
  const body = (r.body ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (statusCode >= 400) {
    const err = (body.error ?? {}) as { code?: string; message?: string };
    throw new BridgeError(BridgeErrorCodes.ServiceError, err.message ?? `The operation status request failed (HTTP ${statusCode}).`, {
      category: statusCode === 404 ? "ObjectNotFound" : statusCode >= 500 ? "ResourceUnavailable" : "InvalidOperation",
      errorId: err.code ?? `Http${statusCode}`,
      statusCode,
      serviceCode: err.code,
      serviceMessage: err.message,
      requestId,
    });
  }
  const result: AcrPollOperationResult = {
    statusCode,
    done: false,
    retryAfterSeconds: retryAfter(r.headers["retry-after"]),
    azureAsyncOperation: r.headers["azure-asyncoperation"],
    location: r.headers["location"],
    requestId,
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
  if (!p.tokenId || !TOKEN_ID.test(p.tokenId)) {
    throw invalidInput(
      "InvalidTokenId",
      "TokenId",
      `Token id '${p.tokenId ?? ""}' is invalid: it must be a resource id /subscriptions/…/resourceGroups/…/providers/Microsoft.ContainerRegistry/registries/…/tokens/….`,
    );
  }
  checkTokenName(TOKEN_ID.exec(p.tokenId)![4], "TokenId");
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
    const resourceGroupName = /\/resourceGroups\/([^/]+)\//i.exec(r.id ?? "")?.[1] ?? "";
    registries.push({ id: r.id ?? "", name: r.name ?? "", resourceGroupName, location: r.location });
  }
  return { registries };
}
