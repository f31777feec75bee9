/**
 * ARM resource ids, parsed in one place. Readers:
 * - the module, through `arm/parseResourceId` (no network, no sign-in): New-AzApiManagementContext
 *   and Get-AzApiManagementUser's -ResourceId, the registry cmdlets' -InputObject identity;
 * - the server's handlers: a token body's scope map id and New-AzContainerRegistryCredentials'
 *   -TokenId (src/acr), the resource group of a listed resource (src/acr, src/apim).
 *
 * Two kinds of parse:
 * - strict (matchResourceId): the id is exactly a template's path, its literal segments in any
 *   (ASCII) case, each `{name}` one non-empty segment without '/';
 * - Az.ApiManagement's lenient parse of a service's id (apimServiceParts), where each part may be
 *   missing, kept as Az has it, in linear time.
 */
import {
  ARM_RESOURCE_ID_KINDS,
  ArmParseResourceIdParams,
  ArmParseResourceIdResult,
  ArmResourceIdKind,
  BridgeErrorCodes,
} from "../protocol";
import { BridgeError, invalidInput, quote } from "../rpc/errors";

/** The strict kinds' templates: the ARM paths, as Az's generated cmdlets name them in their errors. */
export const RESOURCE_ID_TEMPLATES = {
  ApiManagementUser:
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ApiManagement/service/{serviceName}/users/{userId}",
  ContainerRegistryToken:
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerRegistry/registries/{registryName}/tokens/{tokenName}",
  ContainerRegistryScopeMap:
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerRegistry/registries/{registryName}/scopeMaps/{scopeMapName}",
} as const satisfies Partial<Record<ArmResourceIdKind, string>>;

export type ResourceIdTemplate = (typeof RESOURCE_ID_TEMPLATES)[keyof typeof RESOURCE_ID_TEMPLATES];

/** ASCII letters in lower case, other characters as they are: the length does not change. */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** A template's segments: a literal (lower case) or a part's name. */
type Segment = { literal: string } | { part: string };
const compiled = new Map<string, Segment[]>();

function segmentsOf(template: string): Segment[] {
  let s = compiled.get(template);
  if (!s) {
    s = template.split("/").map((x) => (/^\{\w+\}$/.test(x) ? { part: x.slice(1, -1) } : { literal: asciiLower(x) }));
    compiled.set(template, s);
  }
  return s;
}

/** The names of a template's parts, in their order (subscriptionId, resourceGroupName, …). */
export function templateParts(template: string): string[] {
  return segmentsOf(template).flatMap((s) => ("part" in s ? [s.part] : []));
}

/**
 * The parts of `id` when it is exactly the template's path (literal segments in any case, each part
 * one non-empty segment without '/'), else undefined.
 */
export function matchResourceId(template: string, id: string): Record<string, string> | undefined {
  const want = segmentsOf(template);
  const got = id.split("/", want.length + 1);
  if (got.length !== want.length) return undefined;
  const parts: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    if ("part" in w) {
      if (got[i] === "") return undefined;
      parts[w.part] = got[i];
    } else if (asciiLower(got[i]) !== w.literal) {
      return undefined;
    }
  }
  return parts;
}

/**
 * The resource group of a resource id that starts `/subscriptions/{s}/resourceGroups/{rg}/providers/`
 * (any case), else undefined: the ResourceGroupName of the objects made from listed resources.
 */
export function resourceGroupOf(id: string | undefined): string | undefined {
  const s = (id ?? "").split("/", 7);
  if (s.length < 7 || s[0] !== "" || s[2] === "" || s[4] === "") return undefined;
  if (asciiLower(s[1]) !== "subscriptions" || asciiLower(s[3]) !== "resourcegroups" || asciiLower(s[5]) !== "providers") return undefined;
  return s[4];
}

/** .NET's `\s` (Az's patterns are .NET regular expressions): [\f\n\r\t\v\x85\p{Z}]. */
const WHITESPACE = /[\f\n\r\t\v\x85\p{Z}]/gu;

/** The longest -ResourceId New-AzApiManagementContext reads: a service's id is at most about 250
 * characters (resource group 90, service 50), a user's about 340; longer is not an id. */
export const MAX_APIM_RESOURCE_ID_LENGTH = 2048;

export interface ApimServiceParts {
  subscriptionId: string | null;
  resourceGroupName: string | null;
  serviceName: string | null;
}

/**
 * Az.ApiManagement's parse of a service's resource id (New-AzApiManagementContext -ResourceId),
 * case-insensitive, each part null when absent:
 * - the resource group is what lies between the first '/resourcegroups/' and the last '/providers/'
 *   after it (without whitespace, at least one character);
 * - the service is the segment after '/providers/microsoft.apimanagement/service/';
 * - the subscription is the first segment after a leading '/subscriptions/' (a '/' must follow it).
 * Az matches unanchored regular expressions that backtrack (quadratic and worse: 20 KB took 10 s);
 * this is one pass, in linear time.
 */
export function apimServiceParts(id: string): ApimServiceParts {
  const folded = asciiLower(id);

  let resourceGroupName: string | null = null;
  const RG = "/resourcegroups/";
  const PROVIDERS = "/providers/";
  let i = folded.indexOf(RG);
  while (i >= 0) {
    const start = i + RG.length;
    WHITESPACE.lastIndex = start;
    const space = WHITESPACE.exec(id);
    const end = space ? space.index : id.length;
    // The last '/providers/' wholly inside [start + 1, end): the name is at least one character.
    const p = folded.slice(start + 1, end).lastIndexOf(PROVIDERS);
    if (p >= 0) {
      resourceGroupName = id.slice(start, start + 1 + p);
      break;
    }
    // A later '/resourcegroups/' before the whitespace has a shorter run with no '/providers/' either.
    i = end < id.length ? folded.indexOf(RG, end) : -1;
  }

  let serviceName: string | null = null;
  const SERVICE = "/providers/microsoft.apimanagement/service/";
  i = folded.indexOf(SERVICE);
  while (i >= 0) {
    const start = i + SERVICE.length;
    const slash = id.indexOf("/", start);
    const end = slash >= 0 ? slash : id.length;
    if (end > start) {
      serviceName = id.slice(start, end);
      break;
    }
    i = folded.indexOf(SERVICE, start);
  }

  let subscriptionId: string | null = null;
  const SUBSCRIPTIONS = "/subscriptions/";
  if (folded.startsWith(SUBSCRIPTIONS)) {
    const slash = id.indexOf("/", SUBSCRIPTIONS.length);
    if (slash > SUBSCRIPTIONS.length) subscriptionId = id.slice(SUBSCRIPTIONS.length, slash);
  }
  return { subscriptionId, resourceGroupName, serviceName };
}

/**
 * Input quoted in a message as the module quotes it (module/Private/Errors.ps1
 * Format-AzTokenBridgeInput): a value over 1024 characters is cut to its first 1000, with its length.
 */
function quoteCut(value: string): string {
  if (value.length <= 1024) return quote(value);
  return `${quote(value.slice(0, 1000)).slice(0, -1)}… (${value.length} characters)'`;
}

/** The -InputObject error of Az's generated ViaIdentity cmdlets (their texts: acr.md §1.5). */
function identityError(errorId: "InvalidIdentity" | "InputObjectNullValue", message: string): BridgeError {
  return new BridgeError(BridgeErrorCodes.InvalidInput, message, { category: "InvalidArgument", errorId, target: "InputObject" });
}

/** `{tokenName}` → `TokenName`: the identity's member, as Az names it. */
const memberName = (part: string) => part.charAt(0).toUpperCase() + part.slice(1);

/**
 * A registry cmdlet's -InputObject (Az's IContainerRegistryIdentity): its Id when it has one (the Id
 * wins over the parts, as in Az), else its parts, each required; Az's error texts.
 */
function registryIdentity(template: ResourceIdTemplate, p: ArmParseResourceIdParams): Record<string, string> {
  const id = p.resourceId ?? "";
  if (id !== "") {
    const parts = matchResourceId(template, id);
    if (!parts) throw identityError("InvalidIdentity", `Invalid identity for URI '${template}'`);
    return parts;
  }
  const parts: Record<string, string> = {};
  for (const name of templateParts(template)) {
    const value = p[name as keyof ArmParseResourceIdParams];
    if (typeof value !== "string" || value === "") {
      throw identityError("InputObjectNullValue", `InputObject has null value for InputObject.${memberName(name)}`);
    }
    parts[name] = value;
  }
  return parts;
}

/** `arm/parseResourceId`: the parts of a resource id (or of a registry identity), or the error the module writes for it. */
export function parseResourceId(p: ArmParseResourceIdParams): ArmParseResourceIdResult {
  const id = p.resourceId ?? "";
  switch (p.kind) {
    case "ApiManagementService": {
      if (id.length > MAX_APIM_RESOURCE_ID_LENGTH) {
        throw invalidInput(
          "InvalidResourceId",
          "ResourceId",
          `-ResourceId is ${id.length} characters long: an API Management resource id (/subscriptions/…/resourceGroups/…/providers/Microsoft.ApiManagement/service/…) is at most ${MAX_APIM_RESOURCE_ID_LENGTH} characters.`,
        );
      }
      return apimServiceParts(id);
    }
    case "ApiManagementUser": {
      const parts = matchResourceId(RESOURCE_ID_TEMPLATES.ApiManagementUser, id);
      if (!parts) {
        throw invalidInput(
          "InvalidResourceId",
          "ResourceId",
          `${quoteCut(id)} is not the resource id of an API Management user (/subscriptions/…/resourceGroups/…/providers/Microsoft.ApiManagement/service/…/users/…).`,
        );
      }
      return parts;
    }
    case "ContainerRegistryToken":
    case "ContainerRegistryScopeMap":
      return registryIdentity(RESOURCE_ID_TEMPLATES[p.kind], p);
    default:
      throw invalidInput("InvalidResourceIdKind", "Kind", `Resource id kind ${quote(p.kind)} is unknown. Use: ${ARM_RESOURCE_ID_KINDS.join(", ")}.`);
  }
}
