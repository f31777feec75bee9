/**
 * What API Management and ARM would reject, checked before any network call. The limits come
 * from the REST specification (apimusers.json, definitions.json) and the generated SDKs' checks.
 */
import { invalidInput, quote } from "../rpc/errors";
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
      `Resource group name ${quote(rg)} is invalid: it must be 1 to 90 characters of letters, digits, '_', '-', '.', '(' or ')', and must not end with '.'.`,
    );
  }
  const svc = ref.serviceName ?? "";
  if (svc.length < 1 || svc.length > 50 || !SERVICE_NAME.test(svc)) {
    throw invalidInput(
      "InvalidServiceName",
      "ServiceName",
      `API Management service name ${quote(svc)} is invalid: it must be 1 to 50 characters, start with a letter, contain only letters, digits and '-', and end with a letter or digit.`,
    );
  }
}

/**
 * An id that goes into its own URL path segment. Every character is percent-encoded there, but "."
 * and ".." are URL dot-segments: the URL parser would resolve them and send the request to another
 * resource (`…/groups/../users` lists every user of the service).
 */
export function isDotSegment(id: string): boolean {
  return id === "." || id === "..";
}

export function checkUserId(userId: string): void {
  if (!userId || userId.length > 80) {
    throw invalidInput("InvalidUserId", "UserId", `User id ${quote(userId)} is invalid: it must be 1 to 80 characters.`);
  }
  if (isDotSegment(userId)) {
    throw invalidInput("InvalidUserId", "UserId", `User id ${quote(userId)} is invalid: '.' and '..' cannot name a user.`);
  }
}

export function parseKeyType(keyType: string): "primary" | "secondary" {
  const k = (keyType ?? "").toLowerCase();
  if (k !== "primary" && k !== "secondary") {
    throw invalidInput("InvalidKeyType", "KeyType", `Key type ${quote(keyType)} is invalid: use Primary or Secondary.`);
  }
  return k;
}

/** Parses the wire expiry and checks the service's window: after now, at most 30 days ahead. */
export function parseExpiry(expiry: string, now: number = Date.now()): Date {
  const d = new Date(expiry);
  if (typeof expiry !== "string" || Number.isNaN(d.getTime())) {
    throw invalidInput("InvalidExpiry", "Expiry", `Expiry ${quote(expiry)} is not a valid date.`);
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

/**
 * The longest value each filter can match: the user properties' limits in the REST specification
 * (UserCreateParameters: firstName and lastName at most 100 characters, email at most 254). A longer
 * value matches no user, and a long enough one makes the request line too long for the service
 * (HTTP 431 or 414, with no message).
 */
export const FILTER_LIMITS = { firstName: ["FirstName", 100], lastName: ["LastName", 100], email: ["Email", 254] } as const;

/** Get-AzApiManagementUser's filters: a known state, values no longer than the property; group ids follow the resource-name rules (1–256). */
export function checkUserFilters(p: { state?: string; groupId?: string; firstName?: string; lastName?: string; email?: string }): void {
  if (p.state !== undefined && p.state !== null && !USER_STATES.includes(String(p.state).toLowerCase())) {
    throw invalidInput("InvalidState", "State", `User state ${quote(p.state)} is invalid: use Active, Blocked, Pending or Deleted.`);
  }
  for (const [field, [parameter, limit]] of Object.entries(FILTER_LIMITS)) {
    const value = p[field as keyof typeof FILTER_LIMITS];
    if (typeof value === "string" && value.length > limit) {
      throw invalidInput(
        `Invalid${parameter}`,
        parameter,
        `-${parameter} is ${value.length} characters long: a user's ${parameter} is at most ${limit} characters, so no user can match it.`,
      );
    }
  }
  if (p.groupId !== undefined && p.groupId !== null) {
    if (p.groupId.length < 1 || p.groupId.length > 256 || /[*#&+:<>?]/.test(p.groupId)) {
      throw invalidInput("InvalidGroupId", "GroupId", `Group id ${quote(p.groupId)} is invalid: 1 to 256 characters, without * # & + : < > ?.`);
    }
    if (isDotSegment(p.groupId)) {
      throw invalidInput("InvalidGroupId", "GroupId", `Group id ${quote(p.groupId)} is invalid: '.' and '..' cannot name a group.`);
    }
  }
}
