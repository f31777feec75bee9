/**
 * Everything a service handler needs to call ARM: resolved settings, a cached credential, the
 * subscription, and a cache of SDK clients keyed by identity, subscription and endpoint.
 */
import { CallContext, BridgeErrorCodes } from "../protocol";
import { BridgeError } from "../rpc/errors";
import { credentialFor, ResolvedCredential } from "./credentials";
import { AzureSettings, resolveSettings } from "./settings";
import { trustExtraCaFile } from "./tls";
import { VERSION } from "../version";

export interface ArmTarget {
  settings: AzureSettings;
  credential: ResolvedCredential;
  subscriptionId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Resolves sign-in and subscription for one call; throws a BridgeError naming what is missing. */
export function armTarget(context: CallContext | undefined, subscriptionOverride?: string): ArmTarget {
  const settings = resolveSettings(context);
  trustExtraCaFile(settings.extraCaFile);
  const subscriptionId = subscriptionOverride ?? settings.subscriptionId;
  if (!subscriptionId) {
    throw new BridgeError(
      BridgeErrorCodes.InvalidInput,
      "No subscription: set AZURE_SUBSCRIPTION_ID, or pass a context made from a -ResourceId that names one.",
      { category: "InvalidOperation", errorId: "NoSubscription", target: "AZURE_SUBSCRIPTION_ID" },
    );
  }
  if (!UUID.test(subscriptionId)) {
    throw new BridgeError(BridgeErrorCodes.InvalidInput, `The subscription id '${subscriptionId}' is not a GUID.`, {
      category: "InvalidArgument",
      errorId: "InvalidSubscriptionId",
      target: "AZURE_SUBSCRIPTION_ID",
    });
  }
  return { settings, credential: credentialFor(settings), subscriptionId };
}

type ClientCtor<T> = new (
  credential: ResolvedCredential["credential"],
  subscriptionId: string,
  options: { endpoint: string; credentialScopes: string[]; userAgentOptions: { userAgentPrefix: string } },
) => T;

const clients = new Map<string, unknown>();

/** One SDK client per (client type, identity, subscription, endpoint), reused across calls. */
export function armClient<T>(ctor: ClientCtor<T>, target: ArmTarget): T {
  const key = [ctor.name, target.credential.key, target.subscriptionId, target.settings.armEndpoint, target.settings.armScope].join("|");
  let client = clients.get(key) as T | undefined;
  if (!client) {
    client = new ctor(target.credential.credential, target.subscriptionId, {
      endpoint: target.settings.armEndpoint,
      credentialScopes: [target.settings.armScope],
      userAgentOptions: { userAgentPrefix: `AzTokenBridge/${VERSION}` },
    });
    clients.set(key, client);
  }
  return client;
}
