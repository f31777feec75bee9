/**
 * Where to sign in and which ARM endpoint to call, resolved from a call's CallContext, without any
 * network access.
 *
 * Clouds (the values Az.Accounts and the Azure CLI use for these environments):
 *
 *   name                authority host                     ARM endpoint                          ARM token scope
 *   AzureCloud          https://login.microsoftonline.com  https://management.azure.com          https://management.azure.com/.default
 *   AzureChinaCloud     https://login.chinacloudapi.cn     https://management.chinacloudapi.cn   https://management.chinacloudapi.cn/.default
 *   AzureUSGovernment   https://login.microsoftonline.us   https://management.usgovcloudapi.net  https://management.usgovcloudapi.net/.default
 *
 * The cloud of a call is the first of:
 *   1. -DefaultProfile: the hashtable's Environment, or the Az context's environment (a custom Az
 *      environment is taken from its ResourceManagerUrl / ActiveDirectoryAuthority);
 *   2. AZURE_ENVIRONMENT (the variable go-autorest and other Azure tools read; the names above, also
 *      AzurePublicCloud / AzureChina / AzureUSGovernmentCloud …, case-insensitive);
 *   3. the cloud whose authority AZURE_AUTHORITY_HOST names (e.g. https://login.chinacloudapi.cn);
 *   4. the Az.Accounts context of the session (Get-AzContext), when the module sent one;
 *   5. AzureCloud.
 * Then single endpoints may be replaced (custom clouds, the local emulator), whatever the source:
 *   AZURE_AUTHORITY_HOST        Entra ID host; one that is not a known Entra ID cloud is used without
 *                               instance discovery (disableInstanceDiscovery), so it works offline
 *   AZTOKENBRIDGE_ARM_ENDPOINT  ARM endpoint
 *   AZTOKENBRIDGE_ARM_SCOPE     token scope for ARM (default: the cloud's, even with a custom endpoint)
 * The Azure CLI's own cloud (`az cloud set`) is not read: CLI users of a sovereign cloud set
 * AZURE_ENVIRONMENT (or pass -DefaultProfile).
 *
 *   NODE_EXTRA_CA_CERTS         extra trusted CAs (PEM file), read per call (tls.ts)
 */
import { CallContext, BridgeErrorCodes, SESSION_VARIABLES } from "../protocol";
import { BridgeError, quote } from "../rpc/errors";
import { profileOf } from "./profile";

export interface Cloud {
  /** Az environment name. */
  name: string;
  authorityHost: string;
  armEndpoint: string;
  armScope: string;
}

export const CLOUDS = {
  AzureCloud: {
    name: "AzureCloud",
    authorityHost: "https://login.microsoftonline.com",
    armEndpoint: "https://management.azure.com",
    armScope: "https://management.azure.com/.default",
  },
  AzureChinaCloud: {
    name: "AzureChinaCloud",
    authorityHost: "https://login.chinacloudapi.cn",
    armEndpoint: "https://management.chinacloudapi.cn",
    armScope: "https://management.chinacloudapi.cn/.default",
  },
  AzureUSGovernment: {
    name: "AzureUSGovernment",
    authorityHost: "https://login.microsoftonline.us",
    armEndpoint: "https://management.usgovcloudapi.net",
    armScope: "https://management.usgovcloudapi.net/.default",
  },
} as const satisfies Record<string, Cloud>;

export const PUBLIC_AUTHORITY_HOST = CLOUDS.AzureCloud.authorityHost;
export const PUBLIC_ARM_ENDPOINT = CLOUDS.AzureCloud.armEndpoint;
export const ARM_SCOPE = CLOUDS.AzureCloud.armScope;

/** Other names the same clouds go by (Azure SDKs, go-autorest, MSAL), lower case. */
const CLOUD_ALIASES: Record<string, Cloud> = {
  azurecloud: CLOUDS.AzureCloud,
  azurepubliccloud: CLOUDS.AzureCloud,
  azurepublic: CLOUDS.AzureCloud,
  public: CLOUDS.AzureCloud,
  azurechinacloud: CLOUDS.AzureChinaCloud,
  azurechina: CLOUDS.AzureChinaCloud,
  china: CLOUDS.AzureChinaCloud,
  azureusgovernment: CLOUDS.AzureUSGovernment,
  azureusgovernmentcloud: CLOUDS.AzureUSGovernment,
  azureusgov: CLOUDS.AzureUSGovernment,
  usgovernment: CLOUDS.AzureUSGovernment,
};

/** Authority hosts that are real Entra ID clouds (instance discovery works against them). */
const KNOWN_AUTHORITY_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.windows.net",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
  "login.microsoftonline.us",
  "login-us.microsoftonline.com",
]);

export function cloudByName(name: string | undefined): Cloud | undefined {
  return name ? CLOUD_ALIASES[name.trim().toLowerCase()] : undefined;
}

/** The built-in cloud whose authority host this is (https://login.chinacloudapi.cn → AzureChinaCloud). */
export function cloudByAuthorityHost(host: string | undefined): Cloud | undefined {
  if (!host) return undefined;
  let hostname: string;
  try {
    hostname = new URL(host).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  if (hostname === "login.partner.microsoftonline.cn") return CLOUDS.AzureChinaCloud;
  if (hostname === "login-us.microsoftonline.com") return CLOUDS.AzureUSGovernment;
  return CLOUD_BY_AUTHORITY_HOSTNAME.get(hostname);
}

/** Each built-in cloud by its authority's host name (made once: this runs on every call). */
const CLOUD_BY_AUTHORITY_HOSTNAME = new Map<string, Cloud>(Object.values(CLOUDS).map((c) => [new URL(c.authorityHost).hostname, c]));

export interface AzureSettings {
  /** The call's session variables, trimmed; empty ones left out. */
  env: Record<string, string>;
  /** Az environment name of the cloud in use (a custom Az environment keeps its own name). */
  cloud: string;
  /** Where the cloud came from: "-DefaultProfile", "AZURE_ENVIRONMENT", "AZURE_AUTHORITY_HOST", "Az.Accounts" or "default". */
  cloudSource: string;
  authorityHost: string;
  /** True when the authority is not a known Entra ID cloud: no instance discovery. */
  customAuthority: boolean;
  armEndpoint: string;
  armScope: string;
  extraCaFile?: string;
}

const SESSION_NAMES = new Set(Object.keys(SESSION_VARIABLES).filter((n) => !n.endsWith("*")));
const SESSION_PREFIXES = Object.keys(SESSION_VARIABLES).filter((n) => n.endsWith("*")).map((n) => n.slice(0, -1));

/** Whether the server reads this session variable (protocol.ts SESSION_VARIABLES; names as sent, case-sensitive). */
export function isSessionVariable(name: string): boolean {
  return SESSION_NAMES.has(name) || SESSION_PREFIXES.some((p) => name.startsWith(p));
}

/** The call's variables the server reads (SESSION_VARIABLES), with values trimmed and empty ones dropped. */
export function sessionEnv(context: CallContext | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, raw] of Object.entries(context?.env ?? {})) {
    if (typeof raw !== "string" || !isSessionVariable(name)) continue;
    const v = raw.trim();
    if (v !== "") env[name] = v;
  }
  return env;
}

const trimSlash = (url: string): string => url.replace(/\/+$/, "");

function unknownEnvironment(name: string, target: string): BridgeError {
  return new BridgeError(
    BridgeErrorCodes.InvalidInput,
    `Unknown Azure environment ${quote(name)} (${target}). Use AzureCloud, AzureChinaCloud or AzureUSGovernment, ` +
      "or set AZURE_AUTHORITY_HOST and AZTOKENBRIDGE_ARM_ENDPOINT for a custom cloud.",
    { category: "InvalidArgument", errorId: "UnknownEnvironment", target },
  );
}

/** A cloud from an Az context: a built-in one by name, else its own endpoints (custom Az environment). */
function cloudOfAzContext(az: NonNullable<CallContext["azContext"]>, target: string): Cloud | undefined {
  const named = cloudByName(az.environment);
  if (named) return named;
  if (az.resourceManagerUrl) {
    const arm = trimSlash(az.resourceManagerUrl);
    const authority = az.activeDirectoryAuthority ? trimSlash(az.activeDirectoryAuthority) : undefined;
    for (const [field, url] of [["Environment.ResourceManagerUrl", arm], ["Environment.ActiveDirectoryAuthority", authority]] as const) {
      if (url !== undefined && !isHttpsUrl(url)) {
        throw new BridgeError(BridgeErrorCodes.InvalidInput, `The ${target === "DefaultProfile" ? "-DefaultProfile" : "session's"} Az context's ${field} ${quote(url)} is not an https URL.`, {
          category: "InvalidArgument",
          errorId: "InvalidEnvironment",
          target,
        });
      }
    }
    return {
      name: az.environment ?? "Custom",
      authorityHost: authority ?? PUBLIC_AUTHORITY_HOST,
      armEndpoint: arm,
      armScope: `${arm}/.default`,
    };
  }
  if (az.environment) throw unknownEnvironment(az.environment, target);
  return undefined;
}

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.hostname !== "";
  } catch {
    return false;
  }
}

/**
 * An endpoint variable (AZURE_AUTHORITY_HOST, AZTOKENBRIDGE_ARM_ENDPOINT): unset gives undefined (the
 * cloud's endpoint); set, it must be an absolute https URL with a host, since tokens are sent there
 * (the SDKs refuse bearer tokens over http). Blank (only spaces) is refused rather than taken as
 * unset: whoever set it meant an endpoint.
 */
export function endpointVariable(context: CallContext | undefined, env: Record<string, string>, name: string, errorId: string, what: string): string | undefined {
  const refuse = (why: string) =>
    new BridgeError(BridgeErrorCodes.InvalidInput, `${why}: it must be ${what}. Remove the variable to use the cloud's.`, {
      category: "InvalidArgument",
      errorId,
      target: name,
    });
  const raw = context?.env?.[name];
  if (typeof raw === "string" && raw !== "" && raw.trim() === "") throw refuse(`${name} is set but blank`);
  const value = env[name];
  if (value === undefined) return undefined;
  if (!isHttpsUrl(value)) throw refuse(`${name} ${quote(value)} is not an https URL`);
  return value;
}

/** Picks the cloud (see the top of this file) and applies the endpoint variables. */
export function resolveSettings(context: CallContext | undefined): AzureSettings {
  const env = sessionEnv(context);
  let cloud: Cloud | undefined;
  let cloudSource = "default";

  const profile = profileOf(context);
  if (profile?.environment) {
    cloud = cloudByName(profile.environment);
    if (!cloud) throw unknownEnvironment(profile.environment, "DefaultProfile");
    cloudSource = "-DefaultProfile";
  } else if (context?.azContext?.source === "DefaultProfile") {
    cloud = cloudOfAzContext(context.azContext, "DefaultProfile");
    if (cloud) cloudSource = "-DefaultProfile";
  }
  if (!cloud && env.AZURE_ENVIRONMENT) {
    cloud = cloudByName(env.AZURE_ENVIRONMENT);
    if (!cloud) throw unknownEnvironment(env.AZURE_ENVIRONMENT, "AZURE_ENVIRONMENT");
    cloudSource = "AZURE_ENVIRONMENT";
  }
  if (!cloud && env.AZURE_AUTHORITY_HOST) {
    cloud = cloudByAuthorityHost(env.AZURE_AUTHORITY_HOST);
    if (cloud) cloudSource = "AZURE_AUTHORITY_HOST";
  }
  if (!cloud && context?.azContext?.source === "Az.Accounts" && !profile) {
    try {
      cloud = cloudOfAzContext(context.azContext, "Az.Accounts context");
    } catch {
      cloud = undefined; // an odd session context does not stop a call that may not need it
    }
    if (cloud) cloudSource = "Az.Accounts";
  }
  cloud ??= CLOUDS.AzureCloud;

  const authorityHost = trimSlash(endpointVariable(context, env, "AZURE_AUTHORITY_HOST", "InvalidAuthorityHost", "the Entra ID (authority) host, e.g. https://login.microsoftonline.com") ?? cloud.authorityHost);
  const armEndpoint = trimSlash(endpointVariable(context, env, "AZTOKENBRIDGE_ARM_ENDPOINT", "InvalidArmEndpoint", "the Resource Manager endpoint, e.g. https://management.azure.com") ?? cloud.armEndpoint);
  const customAuthority = !KNOWN_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname.toLowerCase());
  return {
    env,
    cloud: cloud.name,
    cloudSource,
    authorityHost,
    customAuthority,
    armEndpoint,
    armScope: env.AZTOKENBRIDGE_ARM_SCOPE ?? cloud.armScope,
    extraCaFile: env.NODE_EXTRA_CA_CERTS,
  };
}
