/**
 * Everything a service handler needs to call ARM: resolved settings (cloud, endpoints), the
 * call's credential (credentials.ts, cached per identity), the subscription (subscription.ts), and
 * a cache of SDK clients keyed by client type, identity, subscription and endpoint. Every client
 * shares one throttle per host + subscription (throttle.ts).
 */
import { CallContext } from "../protocol";
import { credentialFor, ResolvedCredential } from "./credentials";
import { AzureSettings, resolveSettings } from "./settings";
import { resolveSubscription, ResolvedSubscription } from "./subscription";
import { throttlePolicies } from "./throttle";
import { tokenRefusalPolicy } from "./tokenCache";
import { trustExtraCaFile } from "./tls";
import type { AdditionalPolicyConfig } from "./throttle";
import { connectionPolicies, RETRY } from "./retry";
import { VERSION } from "../version";

export interface ArmTarget {
  settings: AzureSettings;
  credential: ResolvedCredential;
  subscriptionId: string;
  /** Where the subscription came from. */
  subscriptionSource: ResolvedSubscription["source"];
}

/**
 * Resolves cloud, sign-in and subscription for one call, without network access; throws a
 * BridgeError naming what is missing or wrong. `subscriptionOverride` is the subscription the
 * cmdlet was given (-ResourceId's, or the registry cmdlets' -SubscriptionId: `overrideParameter`),
 * which comes before every other source.
 */
export function armTarget(
  context: CallContext | undefined,
  subscriptionOverride?: string,
  overrideParameter: "ResourceId" | "SubscriptionId" = "ResourceId",
): ArmTarget {
  const settings = resolveSettings(context);
  trustExtraCaFile(settings.extraCaFile);
  const credential = credentialFor(context, settings);
  const { subscriptionId, source } = resolveSubscription(context, settings.env, subscriptionOverride, overrideParameter);
  return { settings, credential, subscriptionId, subscriptionSource: source };
}

type ClientCtor<T> = new (
  credential: ResolvedCredential["credential"],
  subscriptionId: string,
  options: {
    endpoint: string;
    credentialScopes: string[];
    userAgentOptions: { userAgentPrefix: string };
    additionalPolicies: AdditionalPolicyConfig[];
    retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
  },
) => T;


const MAX_CLIENTS = 64;
const clients = new Map<string, unknown>();

/** One SDK client per (client type, identity, subscription, endpoint), reused across calls. */
export function armClient<T>(ctor: ClientCtor<T>, target: ArmTarget): T {
  // The credential key is a hash (credentials.ts): no secret is part of this key.
  const key = [ctor.name, target.credential.key, target.subscriptionId, target.settings.armEndpoint, target.settings.armScope].join("|");
  let client = clients.get(key) as T | undefined;
  if (client) {
    clients.delete(key); // most recently used last
  } else {
    client = new ctor(target.credential.credential, target.subscriptionId, {
      endpoint: target.settings.armEndpoint,
      credentialScopes: [target.settings.armScope],
      userAgentOptions: { userAgentPrefix: `AzTokenBridge/${VERSION}` },
      // 429 + Retry-After holds every request to the subscription until then (throttle.ts).
      // A token ARM refuses is dropped, asked again once when its source can (tokenCache.ts).
      // A refused connection fails fast, and so does every request to that host for a few seconds (retry.ts).
      additionalPolicies: [...throttlePolicies(), ...connectionPolicies(), { policy: tokenRefusalPolicy(target.credential), position: "perCall" }],
      retryOptions: { ...RETRY }, // retry.ts
    });
  }
  clients.set(key, client);
  while (clients.size > MAX_CLIENTS) clients.delete(clients.keys().next().value!);
  return client;
}

/** Forgets every SDK client (tests). */
export function clearClientCache(): void {
  clients.clear();
}
