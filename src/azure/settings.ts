/**
 * Where to sign in and which ARM endpoint to call, resolved from a call's CallContext.
 *
 * Variables (documented in the README, "Configuration"):
 *   AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET  service principal with a client secret
 *   AZURE_SUBSCRIPTION_ID                                   default subscription
 *   AZURE_AUTHORITY_HOST                                    Entra ID host (default: public cloud)
 *   AZTOKENBRIDGE_ARM_ENDPOINT                              ARM endpoint (default: public cloud)
 *   AZTOKENBRIDGE_ARM_SCOPE                                 token scope for ARM (default: the public ARM's)
 *   NODE_EXTRA_CA_CERTS                                     extra trusted CAs (PEM file)
 */
import { CallContext } from "../protocol";

export const PUBLIC_AUTHORITY_HOST = "https://login.microsoftonline.com";
export const PUBLIC_ARM_ENDPOINT = "https://management.azure.com";
export const ARM_SCOPE = "https://management.azure.com/.default";

/** Authority hosts that are real Entra ID clouds (instance discovery works against them). */
const KNOWN_AUTHORITY_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.chinacloudapi.cn",
  "login.microsoftonline.us",
]);

export interface AzureSettings {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  authorityHost: string;
  /** True when the authority is not a known Entra ID cloud: no instance discovery. */
  customAuthority: boolean;
  armEndpoint: string;
  armScope: string;
  subscriptionId?: string;
  extraCaFile?: string;
}

function value(env: Record<string, string>, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

export function resolveSettings(context: CallContext | undefined): AzureSettings {
  const env = context?.env ?? {};
  const authorityHost = (value(env, "AZURE_AUTHORITY_HOST") ?? PUBLIC_AUTHORITY_HOST).replace(/\/+$/, "");
  let customAuthority = true;
  try {
    customAuthority = !KNOWN_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname.toLowerCase());
  } catch {
    /* an unparsable host is reported when the credential is built */
  }
  return {
    tenantId: value(env, "AZURE_TENANT_ID"),
    clientId: value(env, "AZURE_CLIENT_ID"),
    clientSecret: value(env, "AZURE_CLIENT_SECRET"),
    authorityHost,
    customAuthority,
    armEndpoint: (value(env, "AZTOKENBRIDGE_ARM_ENDPOINT") ?? PUBLIC_ARM_ENDPOINT).replace(/\/+$/, ""),
    armScope: value(env, "AZTOKENBRIDGE_ARM_SCOPE") ?? ARM_SCOPE,
    subscriptionId: value(env, "AZURE_SUBSCRIPTION_ID"),
    extraCaFile: value(env, "NODE_EXTRA_CA_CERTS"),
  };
}
