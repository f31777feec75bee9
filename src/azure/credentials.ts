/**
 * Sign-in: the identity a call uses, as @azure/identity 4.14.1 credentials behind one token cache
 * (tokenCache.ts).
 *
 * Which identity
 *   -DefaultProfile given (CallContext.profile, or azContext with source "DefaultProfile"): it is
 *   THE identity, nothing else is tried:
 *     hashtable  TenantId + ClientId + ClientSecret | CertificatePath (+CertificatePassword), PEM or
 *                PFX. A hashtable without a credential is refused (InvalidDefaultProfile): it would
 *                leave the identity to chance.
 *     Az context the ARM token the module got with Get-AzAccessToken -DefaultProfile <context>.
 *   Otherwise the chain, in this order:
 *     1. service principal from the environment: AZURE_TENANT_ID + AZURE_CLIENT_ID +
 *        AZURE_CLIENT_SECRET, or AZURE_CLIENT_CERTIFICATE_PATH (PEM, or PFX converted in memory;
 *        AZURE_CLIENT_CERTIFICATE_PASSWORD; AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=true sends x5c).
 *        The secret wins when both are set (as EnvironmentCredential does);
 *     2. workload identity: AZURE_FEDERATED_TOKEN_FILE + AZURE_CLIENT_ID + AZURE_TENANT_ID;
 *     3. managed identity, only when IDENTITY_ENDPOINT + IDENTITY_HEADER (App Service, Functions,
 *        Container Apps; + IDENTITY_SERVER_THUMBPRINT: Service Fabric), IDENTITY_ENDPOINT +
 *        IMDS_ENDPOINT (Arc) or MSI_ENDPOINT (Cloud Shell) are set: IMDS is never probed.
 *        AZURE_CLIENT_ID, when set, selects a user-assigned identity (as DefaultAzureCredential);
 *     4. the Azure CLI: AzureCliCredential runs `az account get-access-token` (with --tenant
 *        AZURE_TENANT_ID when that is set);
 *     5. the Az.Accounts context of the session: the token the module got from Get-AzAccessToken,
 *        used as it is until its expiresOn.
 *   Sources 1-3 are decided by their variables: the first one configured is THE identity, and if
 *   it fails (wrong secret, unreadable certificate, refused federated token, unreachable endpoint)
 *   that error is the answer; the chain does not fall through to another identity behind the
 *   user's back. Sources 4-5 are tried one after the other (the CLI may be missing or signed out).
 *   Nothing gives a token: one error (1002, AuthenticationError, errorId NoAzureIdentity) listing
 *   each source, why it did not apply and how to set it up. Messages never contain a secret
 *   (secrets and tokens are replaced by ***).
 *
 * Caching
 *   Credentials are kept per identity, under a key that is a SHA-256 hash of what identifies it
 *   (authority, tenant, client id, secret or certificate bytes, token file, endpoint, …) with a
 *   readable prefix ("sp-secret:", "managed:", …); no secret is ever a map key. Each is wrapped in
 *   a CachingCredential: tokens per scope, refreshed 5 minutes before expiry, one fetch in flight per
 *   key. The key also keys the ARM clients (arm.ts).
 *
 * Refusals, and what the errors say
 *   Entra ID refusing an identity (expired or wrong client secret, expired or unregistered
 *   certificate, disabled or deleted app, unknown tenant, a federated token that expired or is for
 *   another audience/subject) → AuthenticationFailed with the AADSTS code as errorId, Entra's text,
 *   and a fix naming the setting at fault (AZURE_CLIENT_SECRET, the -DefaultProfile hashtable's
 *   ClientSecret, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE…) as recommendedAction.
 *   ARM refusing a token (401 ExpiredAuthenticationToken / InvalidAuthenticationToken /
 *   InvalidAuthenticationTokenAudience): tokenCache.ts tokenRefusalPolicy drops it; sources 1-4
 *   are asked once more (a token issued from now on), a handed-over token (Az.Accounts, an Az
 *   context as -DefaultProfile) is not; a second refusal, or the first for a handed-over token, is one
 *   error with ARM's code, message and request id, the source that gave the token (ResolvedCredential
 *   .origin, by token: the developer chain tells the CLI's from Az.Accounts') and what to do.
 *   A new token handed over for the same identity (the user signed in again) replaces the cached one.
 *
 * Process environment
 *   The server is one per PowerShell process, whose environment is process-wide; the module sends
 *   the session variables the server reads (protocol.ts SESSION_VARIABLES) with every call, and
 *   starts the server without them (SERVER_START_VARIABLES). AzureCliCredential (the `az` child
 *   process: AZURE_CONFIG_DIR, AZURE_CORE_*, …) and ManagedIdentityCredential (msal-node reads
 *   IDENTITY_ENDPOINT/IDENTITY_HEADER/MSI_ENDPOINT from process.env) only see process.env, so
 *   before using either the server mirrors the call's session variables into process.env (sets
 *   them, removes those the session no longer has). PATH is the server's own (given when the module
 *   started it).
 *   msal-node fixes the managed identity source (endpoint and header) at its first token request
 *   for the life of the process (static fields): if a later call names another endpoint or header,
 *   the call fails with ManagedIdentityChanged and asks for a new PowerShell session.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import {
  AccessToken,
  AzureCliCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  GetTokenOptions,
  ManagedIdentityCredential,
  TokenCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { AzContextSpec, BridgeErrorCodes, CallContext, ProfileSpec } from "../protocol";
import { BridgeError, entraErrorCode, networkCode, quote } from "../rpc/errors";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { loadClientCertificate } from "./certificate";
import { invalidProfile, profileOf } from "./profile";
import { AzureSettings, isSessionVariable } from "./settings";
import { azureCliConfigDir } from "./subscription";
import { CachingCredential, TokenOrigin } from "./tokenCache";
import { connectionPolicies, recentConnectionFailure, RETRY } from "./retry";

export interface ResolvedCredential {
  /** The cached credential to give SDK clients. */
  credential: CachingCredential;
  /** Stable, non-secret key identifying the identity (for client caches): `<kind>:<sha256 prefix>`. */
  key: string;
  /** Which identity, in words (for messages and -Verbose); never a secret. */
  description: string;
  /** Which source gave this token and what to do when ARM refuses it (tokenCache.ts tokenRefusalPolicy). */
  origin(token: string): TokenOrigin;
}

// ----- errors and redaction ------------------------------------------------------------------

/** Replaces secrets and anything that looks like a JWT by ***. */
export function redact(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join("***");
  return out.replace(/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, "***");
}


/**
 * A failure of the identity in use → one BridgeError (AuthenticationFailed, or NetworkError when the
 * identity endpoint could not be reached; msal reports an unreachable authority only as
 * endpoints_resolution_error, without the socket error).
 */
function signInFailed(
  description: string,
  errorId: string,
  e: unknown,
  secrets: (string | undefined)[],
  recommendedAction?: string,
  endpoint?: string,
  signInFix?: SignInFix,
  entraAnswers?: EntraAnswers,
): Error {
  if (e instanceof BridgeError || (e as Error)?.name === "AbortError") return e as Error;
  let raw = (e as Error)?.message ?? String(e);
  // msal drops Entra ID's answer to its metadata request (an unknown tenant: AADSTS90002) and says
  // only endpoints_resolution_error, as for an unreachable host: Entra ID's own words are kept.
  const refusal = entraAnswers?.refusal;
  if (refusal && entraErrorCode(refusal) && /\bendpoints_resolution_error\b/.test(raw)) {
    raw = refusal;
    e = undefined;
  }
  const message = redact(raw, secrets).trim();
  const net = networkCode(e) ?? (/\b(endpoints_resolution_error|network_error)\b/.exec(message) ? "IdentityEndpointUnreachable" : undefined);
  if (net) {
    // The socket error behind msal's endpoints_resolution_error, as the pipeline saw it (retry.ts).
    const seen = recentConnectionFailure(endpoint);
    if (seen) {
      return new BridgeError(BridgeErrorCodes.NetworkError, `Sign-in with ${description} failed. ${seen.text}`, {
        category: "ConnectionError",
        errorId: seen.code,
        recommendedAction: "Check the network, AZURE_AUTHORITY_HOST and NODE_EXTRA_CA_CERTS.",
      });
    }
    return new BridgeError(
      BridgeErrorCodes.NetworkError,
      `Sign-in with ${description} could not reach ${endpoint ?? "the identity endpoint"} (or it gave no usable answer): ${message}`,
      { category: "ConnectionError", errorId: net, recommendedAction: "Check the network, AZURE_AUTHORITY_HOST and NODE_EXTRA_CA_CERTS." },
    );
  }
  const aadsts = entraErrorCode(message);
  const fix = aadsts ? signInFix?.(aadsts, message) : undefined;
  return new BridgeError(BridgeErrorCodes.AuthenticationFailed, `Sign-in with ${description} failed: ${message}${fix ? `\n${fix}` : ""}`, {
    category: "AuthenticationError",
    errorId: aadsts ?? errorId,
    serviceCode: aadsts,
    recommendedAction: fix ?? recommendedAction,
  });
}

/** Where an identity's settings come from (variable or -DefaultProfile key names), for the fixes below. */
interface SettingNames {
  clientId: string;
  tenantId: string;
  /** The credential: AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE, … */
  credential: string;
  kind: "secret" | "certificate" | "federated";
}

type SignInFix = (aadsts: string, message: string) => string | undefined;

/**
 * What to do about Entra ID's refusal of an identity, by AADSTS code: which setting is at fault
 * and how to renew it. Codes without a known remedy keep the source's general advice.
 */
function signInFixFor(names: SettingNames, clientId: string, tenantId: string): SignInFix {
  const federated = `the token in ${names.credential}`;
  return (aadsts, message) => {
    switch (aadsts) {
      case "AADSTS7000222":
        return (
          `The client secret in ${names.credential} has expired: create a new one for app ${clientId} ` +
          `(Azure portal: App registrations > Certificates & secrets, or 'az ad app credential reset --id ${clientId}') and put it in ${names.credential}.`
        );
      case "AADSTS7000215":
        return `${names.credential} is not a client secret of app ${clientId}: give the secret's value (not its id), or create a new secret.`;
      case "AADSTS7000112":
        return (
          `App ${clientId} is disabled in tenant ${tenantId}: an administrator must enable sign-in for it (Enterprise applications > ` +
          `Properties > Enabled for users to sign-in, or 'az ad sp update --id ${clientId} --set accountEnabled=true'), or use another app.`
        );
      case "AADSTS700016":
        return `There is no app ${clientId} in tenant ${tenantId} (it was deleted, or belongs to another tenant): check ${names.clientId} and ${names.tenantId}.`;
      case "AADSTS90002":
        return `Tenant ${tenantId} was not found: check ${names.tenantId} and the cloud (AZURE_AUTHORITY_HOST, AZURE_ENVIRONMENT).`;
      case "AADSTS700027":
        if (names.kind !== "certificate") return undefined;
        return /expired/i.test(message)
          ? `The certificate in ${names.credential} has expired on app ${clientId}: upload a new certificate to the app (App registrations > Certificates & secrets) and point ${names.credential} at it.`
          : `The certificate in ${names.credential} is not registered on app ${clientId}, or its key does not match: upload it to the app, or point ${names.credential} at the registered one.`;
      case "AADSTS700024":
        return names.kind === "federated"
          ? `The federated token in ${names.credential} has expired (or is not valid yet): the platform that writes the file (e.g. Kubernetes' ` +
              "projected service account token, which the kubelet rotates) must refresh it; check that the volume is mounted and rotated, and this machine's clock."
          : "The client assertion is outside its valid time: check this machine's clock.";
      case "AADSTS700212":
        return (
          `${federated[0].toUpperCase()}${federated.slice(1)} was issued for another audience than the federated credential of app ${clientId} names ` +
          "(usually api://AzureADTokenExchange): the platform must project the token for that audience, or the credential must name the token's."
        );
      case "AADSTS70021":
      case "AADSTS700211":
      case "AADSTS700213":
        return `${federated[0].toUpperCase()}${federated.slice(1)} matches no federated credential of app ${clientId}: its issuer, subject and audience must match one exactly (case-sensitive).`;
      default:
        return undefined;
    }
  };
}

/** What Entra ID answered to a credential's metadata requests when it refused one (set by entraAnswerPolicy). */
interface EntraAnswers {
  refusal?: string;
}

/**
 * Keeps the error description of Entra ID's refusal of a GET (OpenID metadata, instance discovery):
 * msal turns it into endpoints_resolution_error without it.
 */
function entraAnswerPolicy(into: EntraAnswers): PipelinePolicy {
  return {
    name: "aztokenbridgeEntraAnswer",
    async sendRequest(request, next) {
      const response = await next(request);
      if (request.method === "GET") {
        into.refusal = undefined;
        if (response.status >= 400 && response.bodyAsText) {
          try {
            const body = JSON.parse(response.bodyAsText) as { error_description?: unknown };
            if (typeof body?.error_description === "string") into.refusal = body.error_description;
          } catch {
            /* not JSON: nothing to keep */
          }
        }
      }
      return response;
    },
  };
}

// ----- keys and the credential cache ----------------------------------------------------------

function identityKey(kind: string, ...parts: (string | undefined)[]): string {
  return `${kind}:${createHash("sha256").update(parts.map((p) => p ?? "").join("\u0000")).digest("hex").slice(0, 32)}`;
}

interface Entry<T extends TokenCredential> {
  source: T;
  cached: CachingCredential;
}

const MAX_CREDENTIALS = 64;
const entries = new Map<string, Entry<TokenCredential>>();

function remember<T extends TokenCredential>(key: string, make: () => T): Entry<T> {
  let entry = entries.get(key) as Entry<T> | undefined;
  if (entry) {
    entries.delete(key); // most recently used last
  } else {
    let source: T;
    try {
      source = make();
    } catch (e) {
      if (e instanceof BridgeError) throw e;
      throw new BridgeError(BridgeErrorCodes.AuthenticationFailed, `Sign-in could not be set up: ${(e as Error)?.message ?? String(e)}`, {
        category: "AuthenticationError",
        errorId: "InvalidIdentitySettings",
      });
    }
    entry = { source, cached: new CachingCredential(source) };
  }
  entries.set(key, entry);
  while (entries.size > MAX_CREDENTIALS) entries.delete(entries.keys().next().value!);
  return entry;
}

/** Forgets every credential and token (tests; a long session never needs it). */
export function clearCredentialCache(): void {
  entries.clear();
}

/** The cached credential under a key, if any (tests and diagnostics). */
export function cachedCredential(key: string): CachingCredential | undefined {
  return entries.get(key)?.cached;
}

// ----- process environment for the CLI and managed identity ------------------------------------

/**
 * Makes process.env's session variables (protocol.ts SESSION_VARIABLES) those of the call (see the
 * top of the file): `env` holds only those (settings.ts sessionEnv).
 */
export function mirrorSessionEnvironment(env: Record<string, string>): void {
  for (const name of Object.keys(process.env)) {
    if (isSessionVariable(name) && !(name in env)) delete process.env[name];
  }
  for (const [name, v] of Object.entries(env)) if (isSessionVariable(name)) process.env[name] = v;
}

// ----- sources -----------------------------------------------------------------------------------

/** A credential of @azure/identity whose failures become one BridgeError naming the identity. */
class SourceCredential implements TokenCredential {
  /** The latest call's session variables (for `prepare`). */
  env: Record<string, string> = {};

  constructor(
    private inner: TokenCredential,
    readonly description: string,
    private readonly errorId: string,
    private readonly secrets: (string | undefined)[],
    private readonly recommendedAction: string,
    private readonly prepare: ((env: Record<string, string>) => void) | undefined,
    /** The identity endpoint (authority host, managed identity endpoint), for network errors. */
    private readonly endpoint: string | undefined,
    /** Where its tokens come from, for ARM's refusals. */
    readonly tokenOrigin: TokenOrigin,
    private readonly signInFix?: SignInFix,
    /** Makes a new inner credential after a failure (workload identity: read the token file again). */
    private readonly renew?: () => TokenCredential,
  ) {}

  /** Entra ID's answers to the inner credential's requests (entraAnswerPolicy), when it has them. */
  private entraAnswers?: EntraAnswers;

  withEntraAnswers(answers: EntraAnswers): this {
    this.entraAnswers = answers;
    return this;
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    try {
      this.prepare?.(this.env);
      return await this.inner.getToken(scopes, options);
    } catch (e) {
      if (this.renew && (e as Error)?.name !== "AbortError") this.inner = this.renew();
      throw signInFailed(this.description, this.errorId, e, this.secrets, this.recommendedAction, this.endpoint, this.signInFix, this.entraAnswers);
    }
  }
}

function jwtClaims(token: string): Record<string, unknown> | undefined {
  try {
    const payload = token.split(".")[1];
    return payload ? (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A token handed over by the module (Get-AzAccessToken), used as it is until it expires. */
export class HandedOverToken implements TokenCredential {
  private current?: AccessToken;

  /** Takes the module's token; true when it is another token than the one held. */
  update(accessToken: string | undefined, expiresOn: string | undefined): boolean {
    if (!accessToken) return false;
    const changed = this.current?.token !== accessToken;
    let expiresOnTimestamp = expiresOn ? Date.parse(expiresOn) : NaN;
    if (Number.isNaN(expiresOnTimestamp)) {
      const exp = jwtClaims(accessToken)?.exp;
      expiresOnTimestamp = typeof exp === "number" ? exp * 1000 : Date.now() + 10 * 60 * 1000;
    }
    if (changed) this.current = { token: accessToken, expiresOnTimestamp, tokenType: "Bearer" };
    return changed;
  }

  get token(): string | undefined {
    return this.current?.token;
  }

  get hasToken(): boolean {
    return this.current !== undefined;
  }

  /** The scope is not checked: the module asked Az.Accounts for an ARM token, the only scope used. */
  async getToken(): Promise<AccessToken> {
    if (!this.current) throw Object.assign(new Error("No token was handed over."), { name: "CredentialUnavailableError" });
    return this.current;
  }
}

interface Attempt {
  source: string;
  outcome: string;
  fix: string;
}

const SOURCES = {
  env: "Service principal from the environment",
  workload: "Workload identity",
  managed: "Managed identity",
  cli: "Azure CLI",
  azAccounts: "Az.Accounts",
} as const;

const FIX = {
  env:
    "set AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET for a client secret, or AZURE_TENANT_ID, AZURE_CLIENT_ID, " +
    "AZURE_CLIENT_CERTIFICATE_PATH for a certificate (a PEM file with the private key, or a PFX file with AZURE_CLIENT_CERTIFICATE_PASSWORD)",
  workload: "set AZURE_FEDERATED_TOKEN_FILE (the file holding the federated token, e.g. Kubernetes workload identity's), AZURE_CLIENT_ID and AZURE_TENANT_ID",
  managed:
    "available where Azure sets IDENTITY_ENDPOINT and IDENTITY_HEADER (App Service, Functions, Container Apps) or MSI_ENDPOINT (Cloud Shell); " +
    "IMDS (virtual machines) is not probed",
  cli: "run 'az login' (and 'az account set --subscription <id>'); the 'az' of the PATH the server started with is used",
  azAccounts: "Import-Module Az.Accounts and run Connect-AzAccount in this session",
} as const;

/**
 * What @azure/identity accepts as a tenant (a GUID or a domain name), checked before it throws:
 * letters, digits, '.' and '-', starting and ending with a letter or digit, so never a '.' or '..'
 * path segment (which would change the authority's path) nor '/', '\', '?', '#'.
 */
function checkTenant(tenantId: string | undefined, target: string): void {
  // A domain name is at most 253 characters; msal builds patterns from the tenant, and a huge one
  // fails there ("Invalid regular expression").
  if (tenantId !== undefined && tenantId.length > 253) {
    throw new BridgeError(BridgeErrorCodes.InvalidInput, `The tenant (${target}) is ${tenantId.length} characters long: a tenant is a tenant id (GUID) or a domain name of at most 253 characters.`, {
      category: "InvalidArgument",
      errorId: "InvalidTenantId",
      target,
    });
  }
  if (tenantId !== undefined && !/^[0-9a-zA-Z](?:[0-9a-zA-Z.-]*[0-9a-zA-Z])?$/.test(tenantId)) {
    throw new BridgeError(BridgeErrorCodes.InvalidInput, `The tenant ${quote(tenantId)} (${target}) is neither a tenant id (GUID) nor a domain name.`, {
      category: "InvalidArgument",
      errorId: "InvalidTenantId",
      target,
    });
  }
}

function missingText(set: string, missing: string[]): string {
  return `${set} is set but ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not`;
}

type EnvSp =
  | { kind: "secret"; tenantId: string; clientId: string; secret: string }
  | { kind: "certificate"; tenantId: string; clientId: string; path: string; password?: string; sendChain: boolean };

function detectEnvServicePrincipal(env: Record<string, string>): EnvSp | Attempt {
  const tenantId = env.AZURE_TENANT_ID;
  const clientId = env.AZURE_CLIENT_ID;
  const secret = env.AZURE_CLIENT_SECRET;
  const path = env.AZURE_CLIENT_CERTIFICATE_PATH;
  if (!secret && !path) return { source: SOURCES.env, outcome: "not configured: AZURE_CLIENT_SECRET and AZURE_CLIENT_CERTIFICATE_PATH are not set", fix: FIX.env };
  const missing = [!tenantId && "AZURE_TENANT_ID", !clientId && "AZURE_CLIENT_ID"].filter((x): x is string => !!x);
  if (missing.length > 0) {
    return { source: SOURCES.env, outcome: `not configured: ${missingText(secret ? "AZURE_CLIENT_SECRET" : "AZURE_CLIENT_CERTIFICATE_PATH", missing)}`, fix: FIX.env };
  }
  if (secret) return { kind: "secret", tenantId: tenantId!, clientId: clientId!, secret };
  const sendChain = /^(1|true)$/i.test(env.AZURE_CLIENT_SEND_CERTIFICATE_CHAIN ?? "");
  return { kind: "certificate", tenantId: tenantId!, clientId: clientId!, path: path!, password: env.AZURE_CLIENT_CERTIFICATE_PASSWORD, sendChain };
}

interface Workload {
  tenantId: string;
  clientId: string;
  file: string;
}

function detectWorkloadIdentity(env: Record<string, string>): Workload | Attempt {
  const file = env.AZURE_FEDERATED_TOKEN_FILE;
  if (!file) return { source: SOURCES.workload, outcome: "not configured: AZURE_FEDERATED_TOKEN_FILE is not set", fix: FIX.workload };
  const missing = [!env.AZURE_CLIENT_ID && "AZURE_CLIENT_ID", !env.AZURE_TENANT_ID && "AZURE_TENANT_ID"].filter((x): x is string => !!x);
  if (missing.length > 0) return { source: SOURCES.workload, outcome: `not configured: ${missingText("AZURE_FEDERATED_TOKEN_FILE", missing)}`, fix: FIX.workload };
  return { tenantId: env.AZURE_TENANT_ID!, clientId: env.AZURE_CLIENT_ID!, file };
}

interface Managed {
  endpoint: string;
  clientId?: string;
}

function detectManagedIdentity(env: Record<string, string>): Managed | Attempt {
  const endpoint = env.IDENTITY_ENDPOINT;
  if (endpoint && (env.IDENTITY_HEADER || env.IMDS_ENDPOINT)) return { endpoint, clientId: env.AZURE_CLIENT_ID };
  if (env.MSI_ENDPOINT) return { endpoint: env.MSI_ENDPOINT, clientId: env.AZURE_CLIENT_ID };
  const outcome = endpoint
    ? `not configured: ${missingText("IDENTITY_ENDPOINT", ["IDENTITY_HEADER"])}`
    : "not configured: IDENTITY_ENDPOINT and IDENTITY_HEADER, or MSI_ENDPOINT, are not set";
  return { source: SOURCES.managed, outcome, fix: FIX.managed };
}

const isAttempt = (x: object): x is Attempt => "outcome" in x;

const MANAGED_VARIABLES = ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET"];
/** What msal-node saw at its first managed identity request (it keeps that source for good). */
let msalManagedSource: string | undefined;

function checkManagedSource(env: Record<string, string>): void {
  const now = identityKey("msal", ...MANAGED_VARIABLES.map((n) => env[n]));
  msalManagedSource ??= now;
  if (msalManagedSource !== now) {
    throw new BridgeError(
      BridgeErrorCodes.AuthenticationFailed,
      "The managed identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER / MSI_ENDPOINT) changed since this PowerShell session first used it, " +
        "and msal-node keeps the first one for the life of the AzTokenBridge server. Start a new PowerShell session " +
        "(or Remove-Module AzTokenBridge and import it again) to use the new one.",
      { category: "AuthenticationError", errorId: "ManagedIdentityChanged", recommendedAction: "Start a new PowerShell session." },
    );
  }
}

/** Sources 4 and 5 of the chain, tried in turn; the failure lists all five. */
class DeveloperChain implements TokenCredential {
  env: Record<string, string> = {};
  mirror = false;
  notConfigured: Attempt[] = [];
  azAccountsMissing: Attempt | undefined;
  readonly azAccounts = new HandedOverToken();
  private readonly cli: AzureCliCredential;

  constructor(tenantId: string | undefined) {
    this.cli = new AzureCliCredential({ tenantId, processTimeoutInMs: 30_000 });
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const attempts = [...this.notConfigured];
    try {
      if (this.mirror) mirrorSessionEnvironment(this.env);
      const token = await this.cli.getToken(scopes, { abortSignal: options?.abortSignal });
      if (token) return token;
      attempts.push({ source: SOURCES.cli, outcome: "gave no token", fix: FIX.cli });
    } catch (e) {
      if ((e as Error)?.name === "AbortError") throw e;
      attempts.push({ source: SOURCES.cli, outcome: cliOutcome(e), fix: FIX.cli });
    }
    if (this.azAccounts.hasToken) return this.azAccounts.getToken();
    attempts.push(this.azAccountsMissing ?? { source: SOURCES.azAccounts, outcome: "no token", fix: FIX.azAccounts });
    throw noIdentity(attempts, [this.env.AZURE_CLIENT_SECRET, this.env.AZURE_CLIENT_CERTIFICATE_PASSWORD]);
  }
}

function cliOutcome(e: unknown): string {
  const msg = ((e as Error)?.message ?? String(e)).trim();
  if (/could not be found/i.test(msg)) return "not installed ('az' is not on the PATH)";
  if (/az login/i.test(msg)) return "not signed in";
  return `failed: ${msg.split(/\r?\n/).filter((l) => l.trim()).slice(0, 3).join(" ")}`;
}

function noIdentity(attempts: Attempt[], secrets: (string | undefined)[]): BridgeError {
  const lines = attempts.map((a, i) => `  ${i + 1}. ${a.source}: ${redact(a.outcome, secrets)}. To use it: ${a.fix}.`);
  return new BridgeError(
    BridgeErrorCodes.AuthenticationFailed,
    "No Azure identity to sign in with. Tried, in this order:\n" +
      lines.join("\n") +
      "\nOr pass -DefaultProfile @{ TenantId = …; ClientId = …; ClientSecret = … } (or an Az context), " +
      "or run Start-AzTokenBridgeEmulator to use the local emulator.",
    {
      category: "AuthenticationError",
      errorId: "NoAzureIdentity",
      recommendedAction: "Set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, run 'az login' or Connect-AzAccount, or pass -DefaultProfile.",
    },
  );
}

// ----- where a token came from, for ARM's refusals (tokenCache.ts tokenRefusalPolicy) ----------------

const ASK_AGAIN =
  "Run the command again; if ARM keeps refusing new tokens, check this machine's clock, and that the identity provider " +
  "(AZURE_AUTHORITY_HOST) and the ARM endpoint (AZTOKENBRIDGE_ARM_ENDPOINT) are of the same cloud (AZURE_ENVIRONMENT).";
const ARM_AUDIENCE_SETTINGS = "the token must be for ARM: check AZTOKENBRIDGE_ARM_SCOPE and the cloud (AZURE_ENVIRONMENT)";
const TENANT_OF = (tenantSetting: string, subscriptionSetting: string): string =>
  `The identity signed in to another tenant than the subscription's: set ${tenantSetting} to the subscription's tenant (where the identity ` +
  `needs access too), or choose a subscription of the identity's tenant (${subscriptionSetting}).`;

const ORIGINS = {
  /** The environment's service principal; `credentialVariable` AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH. */
  env: (clientId: string, credentialVariable: string): TokenOrigin => ({
    source: `the service principal from the environment (AZURE_CLIENT_ID ${clientId}, ${credentialVariable})`,
    renew: ASK_AGAIN,
    audience: `Entra ID issued it for another resource: ${ARM_AUDIENCE_SETTINGS}.`,
    tenant: TENANT_OF("AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"),
    refetch: true,
  }),
  profile: (clientId: string, credential: string): TokenOrigin => ({
    source: `the -DefaultProfile hashtable (ClientId ${clientId}, ${credential})`,
    renew: ASK_AGAIN,
    audience: `Entra ID issued it for another resource: the token must be for ARM: check the hashtable's Environment and AZTOKENBRIDGE_ARM_SCOPE.`,
    tenant: TENANT_OF("the hashtable's TenantId", "its SubscriptionId"),
    refetch: true,
  }),
  workload: (file: string): TokenOrigin => ({
    source: `workload identity (the federated token in AZURE_FEDERATED_TOKEN_FILE ${file}, exchanged with Entra ID)`,
    renew: ASK_AGAIN,
    audience: `Entra ID issued it for another resource: ${ARM_AUDIENCE_SETTINGS}.`,
    tenant: TENANT_OF("AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"),
    refetch: true,
  }),
  managed: (endpoint: string): TokenOrigin => ({
    source: `the managed identity endpoint (IDENTITY_ENDPOINT / MSI_ENDPOINT ${endpoint})`,
    renew:
      "Run the command again; if ARM keeps refusing its tokens, the identity endpoint gives stale or foreign tokens: check IDENTITY_ENDPOINT " +
      "(it must be the platform's own) and the identity's state in Azure, or restart the app so the platform renews its identity.",
    audience: `The identity endpoint issued it for another resource: ${ARM_AUDIENCE_SETTINGS}.`,
    tenant: "The managed identity belongs to another tenant than the subscription's: choose a subscription of its tenant (AZURE_SUBSCRIPTION_ID).",
    refetch: true,
  }),
  cli: (): TokenOrigin => ({
    source: "the Azure CLI ('az account get-access-token')",
    renew: "Sign in again with 'az account clear' and then 'az login' ('az login' alone can keep the refused token in the CLI's cache), then 'az account set --subscription <id>' if needed, and run the command again.",
    audience:
      "The CLI gave a token for another resource: check that the CLI's cloud ('az cloud show') is the one whose ARM endpoint is called " +
      "(AZURE_ENVIRONMENT, AZTOKENBRIDGE_ARM_ENDPOINT).",
    tenant: "Sign in to the subscription's tenant ('az login --tenant <tenant id>', or set AZURE_TENANT_ID), or choose a subscription of the signed-in tenant ('az account set', AZURE_SUBSCRIPTION_ID).",
    refetch: true,
  }),
  azAccounts: (account: string | undefined): TokenOrigin => ({
    source: `the Az.Accounts context of this session (${account ? `account ${account}, ` : ""}signed in with Connect-AzAccount; token from Get-AzAccessToken)`,
    renew: "Run Connect-AzAccount again in this session, then run the command again.",
    audience:
      "Get-AzAccessToken gave a token for another resource: check that the context's environment ((Get-AzContext).Environment.ResourceManagerUrl) " +
      "is the cloud whose ARM endpoint is called (AZTOKENBRIDGE_ARM_ENDPOINT, AZURE_ENVIRONMENT).",
    tenant: "Sign in to the subscription's tenant (Connect-AzAccount -Tenant <tenant id>), or choose a subscription of the context's tenant (Set-AzContext -Subscription <id>, AZURE_SUBSCRIPTION_ID).",
    refetch: false,
  }),
  azContext: (account: string | undefined): TokenOrigin => ({
    source: `the Az context given as -DefaultProfile (${account ? `account ${account}; ` : ""}token from Get-AzAccessToken -DefaultProfile)`,
    renew: "Sign in again (Connect-AzAccount), get the context again (Get-AzContext) and pass that to -DefaultProfile.",
    audience:
      "Get-AzAccessToken gave a token for another resource: check that the context's environment (its Environment.ResourceManagerUrl) " +
      "is the cloud whose ARM endpoint is called (AZTOKENBRIDGE_ARM_ENDPOINT, AZURE_ENVIRONMENT).",
    tenant: "Pass a context of the subscription's tenant (Connect-AzAccount -Tenant <tenant id>, then Get-AzContext) to -DefaultProfile.",
    refetch: false,
  }),
};

// ----- building the credential of a call ----------------------------------------------------------

function authorityOptions(
  s: AzureSettings,
  answers: EntraAnswers,
): {
  authorityHost: string;
  disableInstanceDiscovery: boolean;
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
  additionalPolicies: { policy: PipelinePolicy; position: "perCall" | "perRetry" }[];
} {
  // A custom authority (the emulator, a private cloud) cannot answer instance discovery, which
  // would otherwise go to login.microsoftonline.com. Token requests retry as ARM's do, and a
  // refused connection fails fast as ARM's does (retry.ts). Entra ID's own error answers are kept
  // for the messages (entraAnswerPolicy).
  return {
    authorityHost: s.authorityHost,
    disableInstanceDiscovery: s.customAuthority,
    retryOptions: { ...RETRY },
    additionalPolicies: [{ policy: entraAnswerPolicy(answers), position: "perCall" }, ...connectionPolicies()],
  };
}

function resolved(key: string, entry: Entry<SourceCredential>): ResolvedCredential {
  return { credential: entry.cached, key, description: entry.source.description, origin: () => entry.source.tokenOrigin };
}

function secretCredential(
  s: AzureSettings,
  tenantId: string,
  clientId: string,
  secret: string,
  from: string,
  names: SettingNames,
  origin: TokenOrigin,
): ResolvedCredential {
  // The source is part of the key: the same identity from the environment and from -DefaultProfile
  // is told apart in messages (which setting to fix).
  const key = identityKey("sp-secret", s.authorityHost, tenantId, clientId, secret, from);
  const description = `${from} (service principal ${clientId} in tenant ${tenantId}, client secret)`;
  return resolved(
    key,
    remember(key, () => {
      const answers: EntraAnswers = {};
      return new SourceCredential(
        new ClientSecretCredential(tenantId, clientId, secret, authorityOptions(s, answers)),
        description,
        "ServicePrincipalSignInFailed",
        [secret],
        "Check the tenant id, client id and client secret of the service principal.",
        undefined,
        s.authorityHost,
        origin,
        signInFixFor(names, clientId, tenantId),
      ).withEntraAnswers(answers);
    }),
  );
}

function certificateCredential(
  s: AzureSettings,
  c: { tenantId: string; clientId: string; path: string; password?: string; sendChain?: boolean },
  from: string,
  target: string,
  names: SettingNames,
  origin: TokenOrigin,
): ResolvedCredential {
  const cert = loadClientCertificate(c.path, c.password, target);
  const key = identityKey("sp-certificate", s.authorityHost, c.tenantId, c.clientId, cert.fingerprint, String(!!c.sendChain), from);
  const description = `${from} (service principal ${c.clientId} in tenant ${c.tenantId}, ${cert.format} certificate ${c.path})`;
  return resolved(
    key,
    remember(key, () => {
      const answers: EntraAnswers = {};
      return new SourceCredential(
        new ClientCertificateCredential(
          c.tenantId,
          c.clientId,
          cert.pemPassword !== undefined ? { certificate: cert.pem, certificatePassword: cert.pemPassword } : { certificate: cert.pem },
          { ...authorityOptions(s, answers), sendCertificateChain: c.sendChain },
        ),
        description,
        "ServicePrincipalSignInFailed",
        [c.password],
        "Check that the certificate is registered on the app (client id) and that its password is right.",
        undefined,
        s.authorityHost,
        origin,
        signInFixFor(names, c.clientId, c.tenantId),
      ).withEntraAnswers(answers);
    }),
  );
}

function workloadCredential(s: AzureSettings, w: Workload): ResolvedCredential {
  if (!fs.existsSync(w.file)) {
    throw new BridgeError(
      BridgeErrorCodes.AuthenticationFailed,
      `Sign-in with workload identity failed: AZURE_FEDERATED_TOKEN_FILE names '${w.file}', which does not exist.`,
      { category: "AuthenticationError", errorId: "FederatedTokenFileMissing", target: "AZURE_FEDERATED_TOKEN_FILE" },
    );
  }
  const key = identityKey("workload", s.authorityHost, w.tenantId, w.clientId, w.file);
  const description = `workload identity (app ${w.clientId} in tenant ${w.tenantId}, token file ${w.file})`;
  // WorkloadIdentityCredential keeps the file's token for 5 minutes: after a refusal (e.g. an expired
  // token) a new one reads the file again, so a token the platform has refreshed since is used.
  const answers: EntraAnswers = {};
  const make = () => new WorkloadIdentityCredential({ tenantId: w.tenantId, clientId: w.clientId, tokenFilePath: w.file, ...authorityOptions(s, answers) });
  return resolved(
    key,
    remember(key, () =>
      new SourceCredential(
        make(),
        description,
        "WorkloadIdentitySignInFailed",
        [],
        "Check that the app has a federated credential for the token's issuer, subject and audience, and that the token has not expired.",
        undefined,
        s.authorityHost,
        ORIGINS.workload(w.file),
        signInFixFor({ clientId: "AZURE_CLIENT_ID", tenantId: "AZURE_TENANT_ID", credential: "AZURE_FEDERATED_TOKEN_FILE", kind: "federated" }, w.clientId, w.tenantId),
        make,
      ).withEntraAnswers(answers),
    ),
  );
}

function managedCredential(env: Record<string, string>, m: Managed, mirror: boolean): ResolvedCredential {
  const key = identityKey("managed", ...MANAGED_VARIABLES.map((n) => env[n]), m.clientId);
  const description = `the managed identity${m.clientId ? ` ${m.clientId}` : ""} (${m.endpoint})`;
  const prepare = (callEnv: Record<string, string>): void => {
    if (mirror) mirrorSessionEnvironment(callEnv);
    checkManagedSource(callEnv);
  };
  const entry = remember(key, () => {
    if (mirror) mirrorSessionEnvironment(env); // the constructor already reads the source
    return new SourceCredential(
      new ManagedIdentityCredential(m.clientId ? { clientId: m.clientId, retryOptions: { ...RETRY } } : { retryOptions: { ...RETRY } }),
      description,
      "ManagedIdentitySignInFailed",
      [env.IDENTITY_HEADER, env.MSI_SECRET],
      "Check IDENTITY_ENDPOINT and IDENTITY_HEADER (or MSI_ENDPOINT), and AZURE_CLIENT_ID for a user-assigned identity.",
      prepare,
      m.endpoint,
      ORIGINS.managed(m.endpoint),
    );
  });
  entry.source.env = env;
  return resolved(key, entry);
}

function azContextIdentity(az: AzContextSpec): string[] {
  const claims = az.accessToken ? jwtClaims(az.accessToken) : undefined;
  const claim = (n: string) => (typeof claims?.[n] === "string" ? (claims[n] as string) : "");
  return [az.account ?? "", az.tenantId ?? "", az.environment ?? "", az.resourceManagerUrl ?? "", claim("oid"), claim("appid") || claim("azp"), claim("tid")];
}

function profileCredential(p: ProfileSpec, s: AzureSettings): ResolvedCredential {
  const given = (v: string | undefined) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
  const tenantId = given(p.tenantId);
  const clientId = given(p.clientId);
  const secret = p.clientSecret || undefined;
  const path = given(p.certificatePath);
  if (secret && path) throw invalidProfile("names both ClientSecret and CertificatePath: give one.");
  if (!secret && !path) {
    throw invalidProfile(
      "names no identity: a hashtable -DefaultProfile is the identity of the call, so it needs TenantId, ClientId and ClientSecret or CertificatePath. " +
        "To choose only the subscription, set AZURE_SUBSCRIPTION_ID.",
    );
  }
  if (!tenantId || !clientId) throw invalidProfile("with ClientSecret or CertificatePath also needs TenantId and ClientId.");
  checkTenant(tenantId, "DefaultProfile");
  const names = (credential: string, kind: SettingNames["kind"]): SettingNames => ({
    clientId: "the -DefaultProfile hashtable's ClientId",
    tenantId: "its TenantId",
    credential: `the -DefaultProfile hashtable's ${credential}`,
    kind,
  });
  if (secret) return secretCredential(s, tenantId, clientId, secret, "-DefaultProfile", names("ClientSecret", "secret"), ORIGINS.profile(clientId, "ClientSecret"));
  return certificateCredential(
    s,
    { tenantId, clientId, path: path!, password: p.certificatePassword || undefined },
    "-DefaultProfile",
    "DefaultProfile",
    names("CertificatePath", "certificate"),
    ORIGINS.profile(clientId, "CertificatePath"),
  );
}

function azContextCredential(az: AzContextSpec): ResolvedCredential {
  if (!az.accessToken) {
    throw new BridgeError(
      BridgeErrorCodes.AuthenticationFailed,
      "The Az context given as -DefaultProfile came without a token: Get-AzAccessToken (Az.Accounts) must be available in the session to get one for it.",
      { category: "AuthenticationError", errorId: "NoAzContextToken", target: "DefaultProfile" },
    );
  }
  const key = identityKey("az-context", ...azContextIdentity(az));
  const description = `-DefaultProfile (Az context${az.account ? ` of ${az.account}` : ""})`;
  const entry = remember(key, () => new HandedOverToken());
  // Another token for the same identity (signed in again): the cached one must not be used any more.
  if (entry.source.update(az.accessToken, az.expiresOn)) entry.cached.clear();
  const origin = ORIGINS.azContext(az.account);
  return { credential: entry.cached, key, description, origin: () => origin };
}

/**
 * The credential of one call: -DefaultProfile, else the first configured environment source, else
 * the Azure CLI / Az.Accounts chain. Throws a BridgeError for configuration that cannot work (a
 * -DefaultProfile without a credential, an unreadable certificate, a missing token file); failures
 * to get a token are thrown by the credential's getToken.
 */
export function credentialFor(context: CallContext | undefined, s: AzureSettings): ResolvedCredential {
  const profile = profileOf(context);
  if (profile) return profileCredential(profile, s);
  if (context?.azContext?.source === "DefaultProfile") return azContextCredential(context.azContext);

  const env = s.env;
  const mirror = context !== undefined;
  checkTenant(env.AZURE_TENANT_ID, "AZURE_TENANT_ID");
  const sp = detectEnvServicePrincipal(env);
  if (!isAttempt(sp)) {
    const names = (credential: string, kind: SettingNames["kind"]): SettingNames => ({ clientId: "AZURE_CLIENT_ID", tenantId: "AZURE_TENANT_ID", credential, kind });
    if (sp.kind === "secret") {
      return secretCredential(s, sp.tenantId, sp.clientId, sp.secret, "the service principal from the environment", names("AZURE_CLIENT_SECRET", "secret"), ORIGINS.env(sp.clientId, "AZURE_CLIENT_SECRET"));
    }
    return certificateCredential(
      s,
      sp,
      "the service principal from the environment",
      "AZURE_CLIENT_CERTIFICATE_PATH",
      names("AZURE_CLIENT_CERTIFICATE_PATH", "certificate"),
      ORIGINS.env(sp.clientId, "AZURE_CLIENT_CERTIFICATE_PATH"),
    );
  }
  const wi = detectWorkloadIdentity(env);
  if (!isAttempt(wi)) return workloadCredential(s, wi);
  const mi = detectManagedIdentity(env);
  if (!isAttempt(mi)) return managedCredential(env, mi, mirror);

  const az = context?.azContext?.source === "Az.Accounts" ? context.azContext : undefined;
  const configDir = azureCliConfigDir(env);
  const key = identityKey("developer", configDir, env.AZURE_TENANT_ID, ...(az ? azContextIdentity(az) : ["no Az.Accounts context"]));
  const entry = remember(key, () => new DeveloperChain(env.AZURE_TENANT_ID));
  const chain = entry.source;
  chain.env = env;
  chain.mirror = mirror;
  chain.notConfigured = [sp, wi, mi];
  chain.azAccountsMissing = az
    ? az.accessToken
      ? undefined
      : { source: SOURCES.azAccounts, outcome: `the context${az.account ? ` of ${az.account}` : ""} came without a token (Get-AzAccessToken failed)`, fix: "run Connect-AzAccount again" }
    : { source: SOURCES.azAccounts, outcome: "not loaded in this session, or it has no context", fix: FIX.azAccounts };
  // A new Az.Accounts token (signed in again) replaces the cached one, whichever source gave that.
  if (az?.accessToken && chain.azAccounts.update(az.accessToken, az.expiresOn)) entry.cached.clear();
  const description = az?.accessToken
    ? `the Azure CLI, else the Az.Accounts context${az.account ? ` of ${az.account}` : ""}`
    : "the Azure CLI";
  const account = az?.account;
  return {
    credential: entry.cached,
    key,
    description,
    origin: (token) => (token === chain.azAccounts.token ? ORIGINS.azAccounts(account) : ORIGINS.cli()),
  };
}
