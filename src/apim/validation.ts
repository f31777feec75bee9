/**
 * What API Management and ARM would reject, checked before any network call. The limits come
 * from the REST specification (apimusers.json, definitions.json) and the generated SDKs' checks.
 */
import { invalidInput } from "../rpc/errors";
import { ApimServiceRef } from "../protocol";

const SERVICE_NAME = /^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const RESOURCE_GROUP = /^[-\w._()]+$/;

/** The token operation's expiry limit: "Maximum token expiry time is set to 30 days." */
export const MAX_TOKEN_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

export function checkServiceRef(ref: ApimServiceRef): void {
  const rg = ref.resourceGroupName ?? "";
  if (rg.length < 1 || rg.length > 90 || !RESOURCE_GROUP.test(rg) || rg.endsWith(".")) {
    throw invalidInput(
      "InvalidResourceGroupName",
      "ResourceGroupName",
      `Resource group name '${rg}' is invalid: it must be 1 to 90 characters of letters, digits, '_', '-', '.', '(' or ')', and must not end with '.'.`,
    );
  }
  const svc = ref.serviceName ?? "";
  if (svc.length < 1 || svc.length > 50 || !SERVICE_NAME.test(svc)) {
    throw invalidInput(
      "InvalidServiceName",
      "ServiceName",
      `API Management service name '${svc}' is invalid: it must be 1 to 50 characters, start with a letter, contain only letters, digits and '-', and end with a letter or digit.`,
    );
  }
}

export function checkUserId(userId: string): void {
  if (!userId || userId.length > 80) {
    throw invalidInput("InvalidUserId", "UserId", `User id '${userId ?? ""}' is invalid: it must be 1 to 80 characters.`);
  }
  // Every other character is percent-encoded into its one path segment, but "." and ".." are URL
  // dot-segments: the URL parser would resolve them and send the request to another resource.
  if (userId === "." || userId === "..") {
    throw invalidInput("InvalidUserId", "UserId", `User id '${userId}' is invalid: '.' and '..' cannot name a user.`);
  }
}

export function parseKeyType(keyType: string): "primary" | "secondary" {
  const k = (keyType ?? "").toLowerCase();
  if (k !== "primary" && k !== "secondary") {
    throw invalidInput("InvalidKeyType", "KeyType", `Key type '${keyType}' is invalid: use Primary or Secondary.`);
  }
  return k;
}

/** Parses the wire expiry and checks the service's window: after now, at most 30 days ahead. */
export function parseExpiry(expiry: string, now: number = Date.now()): Date {
  const d = new Date(expiry);
  if (typeof expiry !== "string" || Number.isNaN(d.getTime())) {
    throw invalidInput("InvalidExpiry", "Expiry", `Expiry '${expiry}' is not a valid date.`);
  }
  if (d.getTime() <= now) {
    throw invalidInput(
      "InvalidExpiry",
      "Expiry",
      `Expiry ${d.toISOString()} is in the past: a token must expire after the current time (${new Date(now).toISOString()}).`,
    );
  }
  if (d.getTime() - now > MAX_TOKEN_LIFETIME_MS) {
    throw invalidInput(
      "InvalidExpiry",
      "Expiry",
      `Expiry ${d.toISOString()} is more than 30 days ahead: API Management issues user tokens for at most 30 days.`,
    );
  }
  return d;
}

const USER_STATES = ["active", "blocked", "pending", "deleted"];

/** Get-AzApiManagementUser's filters: a known state; group ids follow the resource-name rules (1–256). */
export function checkUserFilters(p: { state?: string; groupId?: string }): void {
  if (p.state !== undefined && p.state !== null && !USER_STATES.includes(String(p.state).toLowerCase())) {
    throw invalidInput("InvalidState", "State", `User state '${p.state}' is invalid: use Active, Blocked, Pending or Deleted.`);
  }
  if (p.groupId !== undefined && p.groupId !== null && (p.groupId.length < 1 || p.groupId.length > 256 || /[*#&+:<>?]/.test(p.groupId))) {
    throw invalidInput("InvalidGroupId", "GroupId", `Group id '${p.groupId}' is invalid: 1 to 256 characters, without * # & + : < > ?.`);
  }
}
