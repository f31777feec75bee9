/**
 * New-PartnerAccessToken: checks made before any network call, the environment → authority
 * mapping, and the AccessToken set (which needs no network at all).
 *
 * Environments (PartnerCenter's EnvironmentName → the STS host MSAL.NET's AzureCloudInstance gives):
 *   AzureCloud          https://login.microsoftonline.com   (default)
 *   AzureChinaCloud     https://login.chinacloudapi.cn      (msal sends token requests to login.partner.microsoftonline.cn)
 *   AzureUSGovernment   https://login.microsoftonline.us
 *   AzurePPE            https://login.windows-ppe.net       a custom authority: msal reads its OpenID metadata
 *                                                           (the original maps PPE to AzureCloudInstance.None and fails)
 *   AzureGermanCloud    refused before any network call: Microsoft Cloud Deutschland closed on 29 October 2021
 * AZURE_AUTHORITY_HOST naming a host that is not an Entra ID cloud (the local emulator, a proxy)
 * sends every environment's requests there (as the other cmdlets do, src/azure/settings.ts); one
 * naming a real cloud is ignored, since -Environment chooses the cloud here.
 */
import { BridgeErrorCodes, PartnerAuthResult, PartnerEnvironmentName, PartnerNewAccessTokenParams } from "../protocol";
import { BridgeError, invalidInput, quote } from "../rpc/errors";
import { endpointVariable, sessionEnv } from "../azure/settings";

export const ENVIRONMENT_HOSTS: Record<Exclude<PartnerEnvironmentName, "AzureGermanCloud">, string> = {
  AzureCloud: "https://login.microsoftonline.com",
  AzureChinaCloud: "https://login.chinacloudapi.cn",
  AzureUSGovernment: "https://login.microsoftonline.us",
  AzurePPE: "https://login.windows-ppe.net",
};

/** Hosts msal-node knows (hard-coded metadata); any other host is a custom authority. */
const ENTRA_CLOUD_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.windows.net",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
  "login.microsoftonline.us",
  "login-us.microsoftonline.com",
  "login.microsoftonline.de",
  "login.windows-ppe.net",
]);

/** Exchange Online PowerShell (PartnerCenter's PowerShellModule.KnownModules["ExchangeOnline"]). */
export const EXCHANGE_ONLINE = { applicationId: "a0c73c16-a7e3-4564-9a95-2bdf47383716", scopes: ["https://outlook.office365.com/.default"] };

const SETS = ["AccessToken", "RefreshToken", "ServicePrincipal", "ServicePrincipalCertificate", "User", "ByModule"];
/**
 * A client id as MSAL.NET's check takes it (.NET Guid.TryParse: surrounding white space, and the
 * D, N, B {…} and P (…) forms), in the D form (lower case) that is sent; undefined when it is not
 * one. PartnerCenter's -ApplicationId is a string that MSAL.NET accepts in those forms; this server
 * sends the GUID the user meant rather than the padding or braces (README, Decisions).
 */
export function canonicalGuid(value: string): string | undefined {
  let v = value.trim();
  if ((v.startsWith("{") && v.endsWith("}")) || (v.startsWith("(") && v.endsWith(")"))) v = v.slice(1, -1);
  if (/^[0-9a-f]{32}$/i.test(v)) v = `${v.slice(0, 8)}-${v.slice(8, 12)}-${v.slice(12, 16)}-${v.slice(16, 20)}-${v.slice(20)}`;
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? v.toLowerCase() : undefined;
}
const TENANT_ALIASES = ["common", "organizations", "consumers"];
/** The longest tenant: a domain name (253 characters; a tenant id is a 36-character GUID). */
export const MAX_TENANT_LENGTH = 253;

export interface Authority {
  environment: PartnerEnvironmentName;
  tenant: string;
  /** The environment's authority (https://host/tenant). */
  authority: string;
  /** What msal is given: the environment's, or the custom AZURE_AUTHORITY_HOST one. */
  msalAuthority: string;
  /** For a custom host: msal's knownAuthorities (host:port). */
  knownAuthorities?: string[];
  redirected: boolean;
}

export function resolveAuthority(params: PartnerNewAccessTokenParams): Authority {
  const environment = params.environment ?? "AzureCloud";
  if (environment === "AzureGermanCloud") {
    throw new BridgeError(
      BridgeErrorCodes.InvalidInput,
      "The AzureGermanCloud environment (Microsoft Cloud Deutschland, login.microsoftonline.de) closed on 29 October 2021; " +
        "its sign-in service no longer answers. Tenants were migrated to the global cloud: use -Environment AzureCloud.",
      { category: "InvalidArgument", errorId: "EnvironmentRetired", target: "Environment" },
    );
  }
  const host = ENVIRONMENT_HOSTS[environment];
  if (!host) throw invalidInput("InvalidEnvironment", "Environment", `Unknown environment ${quote(environment)}. Use AzureCloud, AzureChinaCloud, AzureGermanCloud, AzurePPE or AzureUSGovernment.`);
  const tenant = params.tenant && params.tenant.trim() !== "" ? params.tenant.trim() : "organizations";
  // A domain name is at most 253 characters (a GUID 36): msal builds patterns from the tenant, and
  // a huge one fails there with "Invalid regular expression".
  if (tenant.length > MAX_TENANT_LENGTH) {
    throw invalidInput("InvalidTenant", "Tenant", `-Tenant is ${tenant.length} characters long: a tenant is a tenant id (GUID) or a domain name of at most ${MAX_TENANT_LENGTH} characters.`);
  }
  // A tenant id (GUID), a domain name or an alias: letters, digits, '.' and '-', starting and ending
  // with a letter or digit (so never a "." or ".." path segment that would change the authority's path).
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(tenant)) throw invalidInput("InvalidTenant", "Tenant", `${quote(tenant)} is not a tenant id or domain name.`);
  const authority = `${host}/${tenant}`;
  const env = sessionEnv(params.context);
  const override = endpointVariable(params.context, env, "AZURE_AUTHORITY_HOST", "InvalidAuthorityHost", "the Entra ID (authority) host, e.g. https://login.microsoftonline.com")?.replace(/\/+$/, "");
  let custom: URL | undefined = override ? new URL(override) : undefined;
  if (custom && ENTRA_CLOUD_HOSTS.has(custom.hostname.toLowerCase())) custom = undefined;
  if (custom) {
    return { environment, tenant, authority, msalAuthority: `${custom.origin}/${tenant}`, knownAuthorities: [custom.host], redirected: true };
  }
  return {
    environment,
    tenant,
    authority,
    msalAuthority: authority,
    knownAuthorities: environment === "AzurePPE" ? [new URL(host).host] : undefined,
    redirected: false,
  };
}

const ENVIRONMENT_NAMES: PartnerEnvironmentName[] = ["AzureCloud", "AzureChinaCloud", "AzureGermanCloud", "AzurePPE", "AzureUSGovernment"];

/** A name in any case → its canonical spelling among `names` (PowerShell binds enum names in any case), else as it is. */
function canonical<T extends string>(value: T | undefined, names: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  return names.find((n) => n.toLowerCase() === String(value).toLowerCase()) ?? value;
}

/** The parameter checks PowerShell's binding does not make, before any network call. -Environment
 * and -Module are taken in any case, as Az's enum parameters are, and spelt canonically from here on. */
export function validateParams(p: PartnerNewAccessTokenParams): void {
  p.environment = canonical(p.environment, ENVIRONMENT_NAMES);
  p.module = canonical(p.module, ["ExchangeOnline"] as const);
  if (!SETS.includes(p.parameterSet)) throw invalidInput("InvalidParameterSet", "ParameterSetName", `Unknown parameter set ${quote(p.parameterSet)}.`);
  if (p.parameterSet !== "ByModule" && (!p.scopes || p.scopes.length === 0 || p.scopes.some((s) => typeof s !== "string" || s.trim() === ""))) {
    throw invalidInput("ScopesRequired", "Scopes", "-Scopes needs at least one scope, e.g. https://api.partnercenter.microsoft.com/user_impersonation.");
  }
  if (p.parameterSet === "ByModule" && p.module !== "ExchangeOnline") throw invalidInput("InvalidModule", "Module", `Unknown module ${quote(p.module)}. The only module is ExchangeOnline.`);
  const clientId = p.parameterSet === "RefreshToken" && p.credential ? p.credential.userName : p.applicationId;
  const clientTarget = p.parameterSet === "RefreshToken" && p.credential ? "Credential" : "ApplicationId";
  if (p.parameterSet !== "ByModule" && p.parameterSet !== "AccessToken") {
    if (!clientId) {
      throw invalidInput("ApplicationIdRequired", "ApplicationId", "Give -ApplicationId (or, in the RefreshToken set, -Credential whose user name is the application id).");
    }
    const guid = canonicalGuid(clientId);
    if (!guid) {
      throw invalidInput(
        "ClientIdNotGuid",
        clientTarget,
        `ClientId is not a Guid: ${quote(clientId)}.` +
          (clientTarget === "Credential" ? " In the RefreshToken set the user name of -Credential is the application (client) id, not the secret's id." : ""),
      );
    }
    if (clientTarget === "Credential") p.credential!.userName = guid;
    else p.applicationId = guid;
  }
  const clientCredentials = (p.parameterSet === "ServicePrincipal" || p.parameterSet === "ServicePrincipalCertificate") && !p.useAuthorizationCode;
  if (clientCredentials) {
    const tenant = (p.tenant ?? "").trim().toLowerCase();
    if (!tenant || TENANT_ALIASES.includes(tenant)) {
      throw invalidInput("TenantRequired", "Tenant", `A service principal signs in to one tenant: give -Tenant as the tenant id or domain (not ${quote(p.tenant ?? "")}).`);
    }
    const scopes = p.scopes ?? [];
    if (scopes.length !== 1 || !scopes[0].toLowerCase().endsWith("/.default")) {
      // What Entra ID answers (AADSTS1002012), said before the call.
      throw invalidInput(
        "InvalidScope",
        "Scopes",
        `The provided value for scope ${scopes.join(" ")} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI), e.g. https://api.partnercenter.microsoft.com/.default.`,
      );
    }
  }
  if (p.parameterSet === "ServicePrincipal" && (!p.credential || !p.credential.password)) {
    throw invalidInput(
      "CredentialRequired",
      "Credential",
      "-Credential needs the client secret as its password" + (p.credential ? "." : " (it is empty: [pscredential]::Empty means no credential)."),
    );
  }
  if (p.parameterSet === "ServicePrincipalCertificate" && !p.certificate) {
    throw invalidInput("CertificateRequired", "CertificateThumbprint", "The certificate of -CertificateThumbprint was not given.");
  }
  if (p.parameterSet === "RefreshToken" && !p.refreshToken) throw invalidInput("RefreshTokenRequired", "RefreshToken", "-RefreshToken is empty.");
}

/** The latest instant .NET's DateTime / DateTimeOffset hold (the module turns expiries into them). */
export const MAX_DATE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const MAX_DATE = "9999-12-31";

/**
 * A token's expiry as the ISO string the module reads, from a token endpoint's answer: one beyond
 * 9999-12-31 (or no date at all: a huge expires_in) is refused with a clear error instead of
 * toISOString()'s "Invalid time value".
 */
export function tokenExpiryIso(date: Date, what: string): string {
  const t = date.getTime();
  if (!(t <= MAX_DATE_MS)) {
    throw new BridgeError(BridgeErrorCodes.AuthenticationFailed, `Entra ID answered a token that expires after ${MAX_DATE} (${what}), the latest date PowerShell can hold: that is not a lifetime Entra ID gives; check AZURE_AUTHORITY_HOST.`, {
      category: "AuthenticationError",
      errorId: "InvalidTokenExpiry",
    });
  }
  return date.toISOString();
}

/**
 * The AccessToken set: decodes the JWT (no signature check, as the original), refuses an expired one
 * with the original's message, and echoes it back as an AuthResult.
 */
export function accessTokenResult(token: string, scopes: string[], now: number = Date.now()): PartnerAuthResult {
  const parts = token.split(".");
  let claims: Record<string, unknown> | undefined;
  if (parts.length === 3) {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) claims = parsed as Record<string, unknown>;
    } catch {
      claims = undefined;
    }
  }
  if (!claims) throw invalidInput("InvalidAccessToken", "AccessToken", "The access token is not a JSON Web Token (header.payload.signature).");
  const exp = typeof claims.exp === "number" ? claims.exp : 0;
  if (!(exp * 1000 <= MAX_DATE_MS)) {
    throw invalidInput(
      "InvalidAccessToken",
      "AccessToken",
      `The access token's expiry (exp ${exp}) is after ${MAX_DATE}, the latest date PowerShell can hold: it is not a token Entra ID issues.`,
    );
  }
  if (now > exp * 1000) {
    throw new BridgeError(BridgeErrorCodes.AuthenticationFailed, "The access token has expired. Generate a new one and try again.", {
      category: "AuthenticationError",
      errorId: "TokenExpired",
      target: "AccessToken",
    });
  }
  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  const tid = str(claims.tid);
  const oid = str(claims.oid);
  const upn = str(claims.upn);
  const expiresOn = new Date(exp * 1000).toISOString();
  return {
    refreshToken: null,
    accessToken: token,
    isExtendedLifeTimeToken: false,
    uniqueId: null,
    expiresOn,
    extendedExpiresOn: expiresOn,
    tenantId: tid ?? null,
    // The original builds a ResourceAccount only when the token has a upn claim.
    account:
      upn && oid && tid
        ? { username: upn, environment: "login.microsoftonline.com", homeAccountId: { identifier: `${oid}.${tid}`, objectId: oid, tenantId: tid } }
        : null,
    idToken: null,
    scopes,
    correlationId: "00000000-0000-0000-0000-000000000000",
  };
}

/** A resource URI from a scope (`https://api.partnercenter.microsoft.com/user_impersonation` → the part before the last '/'), if it names one. */
function scopeResource(scope: string): string | undefined {
  const m = /^(https?:\/\/[^/]+(?:\/[^/]+)*?)\/[^/]*$/i.exec(scope.trim());
  return m ? m[1].toLowerCase().replace(/\/+$/, "") : undefined;
}

/**
 * The AccessToken set reads the token as the original does (no audience check: it is echoed back).
 * When the token's audience is not the resource -Scopes names (e.g. an ARM token given for Partner
 * Center), a warning says so before the service refuses it (401) later. Only URIs are compared
 * (a v2.0 token's audience is an app id, which a scope's URI cannot be matched against here).
 */
export function accessTokenWarnings(token: string, scopes: string[]): string[] {
  let aud: unknown;
  try {
    aud = (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { aud?: unknown }).aud;
  } catch {
    return [];
  }
  if (typeof aud !== "string" || !/^https?:\/\//i.test(aud)) return [];
  const audience = aud.toLowerCase().replace(/\/+$/, "");
  const resources = [...new Set(scopes.map(scopeResource).filter((r): r is string => r !== undefined))];
  if (resources.length === 0 || resources.includes(audience)) return [];
  return [
    `The access token was issued for ${quote(aud)}, not for ${resources.map((r) => quote(r)).join(" or ")} (the resource of -Scopes): ` +
      `that service will refuse it (401). Get a token for that resource (Partner Center: -Scopes '${PARTNER_CENTER_RESOURCE}/user_impersonation') and pass it as -AccessToken.`,
  ];
}

/** Partner Center's resource (application ID URI): the audience of its tokens. */
export const PARTNER_CENTER_RESOURCE = "https://api.partnercenter.microsoft.com";
