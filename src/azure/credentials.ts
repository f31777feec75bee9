/**
 * Credentials, cached per identity so that @azure/identity's in-memory token cache is reused:
 * a second call for the same identity and scope makes no token request.
 */
import { createHash } from "node:crypto";
import { ClientSecretCredential, TokenCredential } from "@azure/identity";
import { BridgeErrorCodes } from "../protocol";
import { BridgeError } from "../rpc/errors";
import { AzureSettings } from "./settings";

const cache = new Map<string, TokenCredential>();

export interface ResolvedCredential {
  credential: TokenCredential;
  /** Stable, non-secret key identifying the identity (for client caches). */
  key: string;
}

export function credentialFor(s: AzureSettings): ResolvedCredential {
  const missing = (["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"] as const).filter(
    (n, i) => ![s.tenantId, s.clientId, s.clientSecret][i],
  );
  if (missing.length > 0) {
    throw new BridgeError(
      BridgeErrorCodes.AuthenticationFailed,
      `No Azure identity to sign in with: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set. ` +
        "Set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal, " +
        "or run Start-AzTokenBridgeEmulator to use the local emulator.",
      { category: "AuthenticationError", errorId: "NoAzureIdentity", recommendedAction: "Set the service principal variables." },
    );
  }
  const key = createHash("sha256")
    .update([s.authorityHost, s.tenantId, s.clientId, s.clientSecret].join("\n"))
    .digest("hex")
    .slice(0, 32);
  let credential = cache.get(key);
  if (!credential) {
    credential = new ClientSecretCredential(s.tenantId!, s.clientId!, s.clientSecret!, {
      authorityHost: s.authorityHost,
      // A custom authority (the emulator, a private cloud) cannot answer instance discovery,
      // which would otherwise go to login.microsoftonline.com.
      disableInstanceDiscovery: s.customAuthority,
    });
    cache.set(key, credential);
  }
  return { credential, key };
}
