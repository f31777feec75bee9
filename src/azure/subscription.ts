/**
 * The subscription a call works in. First of:
 *   1. the -ResourceId's own subscription (the `override` argument: the module passes it);
 *   2. -DefaultProfile: the hashtable's SubscriptionId, or the Az context's subscription;
 *   3. AZURE_SUBSCRIPTION_ID;
 *   4. the session's Az.Accounts context (Get-AzContext), when the module sent one;
 *   5. the Azure CLI's default subscription: the entry with isDefault true in
 *      $AZURE_CONFIG_DIR/azureProfile.json (default ~/.azure/azureProfile.json), read as a file
 *      (the CLI writes it UTF-8 with a BOM); `az` is not run for this.
 * None: a BridgeError "NoSubscription" naming all five.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BridgeErrorCodes, CallContext } from "../protocol";
import { BridgeError, quote } from "../rpc/errors";
import { profileOf } from "./profile";

export interface ResolvedSubscription {
  subscriptionId: string;
  /** Where it came from (also the error target when it is not a GUID). */
  source: "-ResourceId" | "-SubscriptionId" | "DefaultProfile" | "AZURE_SUBSCRIPTION_ID" | "Az.Accounts" | "Azure CLI";
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The Azure CLI's configuration folder: AZURE_CONFIG_DIR of the session, else ~/.azure. */
export function azureCliConfigDir(env: Record<string, string>): string {
  return env.AZURE_CONFIG_DIR ?? path.join(os.homedir(), ".azure");
}

export type CliDefaultSubscription =
  | { found: true; subscriptionId: string; tenantId?: string; environmentName?: string; file: string }
  | { found: false; reason: string; file: string };

/** The default subscription of the Azure CLI, from azureProfile.json (no process is run). */
export function readCliDefaultSubscription(configDir: string): CliDefaultSubscription {
  const file = path.join(configDir, "azureProfile.json");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { found: false, file, reason: code === "ENOENT" ? `${file} does not exist` : `${file} cannot be read (${code ?? (e as Error).message})` };
  }
  let profile: { subscriptions?: { id?: unknown; isDefault?: unknown; tenantId?: unknown; environmentName?: unknown }[] };
  try {
    profile = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    return { found: false, file, reason: `${file} is not valid JSON (${(e as Error).message})` };
  }
  const subs = Array.isArray(profile?.subscriptions) ? profile.subscriptions : [];
  const def = subs.find((s) => s && s.isDefault === true && typeof s.id === "string" && s.id);
  if (!def) return { found: false, file, reason: `${file} has no default subscription` };
  return {
    found: true,
    file,
    subscriptionId: def.id as string,
    tenantId: typeof def.tenantId === "string" ? def.tenantId : undefined,
    environmentName: typeof def.environmentName === "string" ? def.environmentName : undefined,
  };
}

/**
 * `override`: the subscription the cmdlet was given, by the parameter `overrideParameter` (the
 * API Management cmdlets' -ResourceId, the registry cmdlets' -SubscriptionId); it comes first.
 */
export function resolveSubscription(
  context: CallContext | undefined,
  env: Record<string, string>,
  override?: string,
  overrideParameter: "ResourceId" | "SubscriptionId" = "ResourceId",
): ResolvedSubscription {
  const pick = (): ResolvedSubscription | { none: string } => {
    const given = (v: string | undefined) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
    const fromOverride = given(override);
    if (fromOverride) return { subscriptionId: fromOverride, source: `-${overrideParameter}` };
    const fromProfile = given(profileOf(context)?.subscriptionId) ?? (context?.azContext?.source === "DefaultProfile" ? given(context.azContext.subscriptionId) : undefined);
    if (fromProfile) return { subscriptionId: fromProfile, source: "DefaultProfile" };
    if (env.AZURE_SUBSCRIPTION_ID) return { subscriptionId: env.AZURE_SUBSCRIPTION_ID, source: "AZURE_SUBSCRIPTION_ID" };
    const fromAz = !context?.profile && context?.azContext?.source === "Az.Accounts" ? given(context.azContext.subscriptionId) : undefined;
    if (fromAz) return { subscriptionId: fromAz, source: "Az.Accounts" };
    const cli = readCliDefaultSubscription(azureCliConfigDir(env));
    if (cli.found) return { subscriptionId: cli.subscriptionId, source: "Azure CLI" };
    return { none: cli.reason };
  };
  const r = pick();
  if ("none" in r) {
    throw new BridgeError(
      BridgeErrorCodes.InvalidInput,
      "No subscription to work in. Name one in any of these ways (the first one given wins):\n" +
        (overrideParameter === "SubscriptionId"
          ? "  1. -SubscriptionId;\n"
          : "  1. -ResourceId with a subscription (/subscriptions/<id>/…), or a context made from one;\n") +
        "  2. -DefaultProfile with a SubscriptionId, or an Az context that has one;\n" +
        "  3. the AZURE_SUBSCRIPTION_ID environment variable;\n" +
        "  4. the Az.Accounts context of the session (Connect-AzAccount, Set-AzContext -Subscription <id>);\n" +
        `  5. the Azure CLI's default subscription (az login, az account set --subscription <id>): ${r.none}.`,
      {
        category: "InvalidOperation",
        errorId: "NoSubscription",
        target: overrideParameter === "SubscriptionId" ? "SubscriptionId" : "AZURE_SUBSCRIPTION_ID",
        recommendedAction:
          overrideParameter === "SubscriptionId"
            ? "Pass -SubscriptionId, or set AZURE_SUBSCRIPTION_ID."
            : "Set AZURE_SUBSCRIPTION_ID, or pass -DefaultProfile with a SubscriptionId.",
      },
    );
  }
  if (!UUID.test(r.subscriptionId)) {
    const where = r.source === "Azure CLI" ? "the Azure CLI's default subscription" : r.source;
    throw new BridgeError(BridgeErrorCodes.InvalidInput, `The subscription id ${quote(r.subscriptionId)} (from ${where}) is not a GUID.`, {
      category: "InvalidArgument",
      errorId: "InvalidSubscriptionId",
      target: r.source.startsWith("-") ? r.source.slice(1) : r.source === "Azure CLI" ? "azureProfile.json" : r.source,
    });
  }
  return r;
}
