/**
 * API Management methods: New-AzApiManagementUserToken and the tenant access helpers, on
 * @azure/arm-apimanagement.
 */
import { ApiManagementClient, UserContract } from "@azure/arm-apimanagement";
import {
  ApimGetUsersParams,
  ApimGetUsersResult,
  ApimListServicesParams,
  ApimListServicesResult,
  ApimUser,
  ApimGetTenantAccessParams,
  ApimGetTenantAccessResult,
  ApimNewUserTokenParams,
  ApimNewUserTokenResult,
} from "../protocol";
import { armClient, armTarget } from "../azure/arm";
import { resourceGroupOf } from "../azure/resourceId";
import { invalidInput, quote } from "../rpc/errors";
import { checkServiceRef, checkUserFilters, checkUserId, parseExpiry, parseKeyType } from "./validation";

export async function newUserToken(p: ApimNewUserTokenParams, abortSignal: AbortSignal): Promise<ApimNewUserTokenResult> {
  checkServiceRef(p);
  checkUserId(p.userId);
  const keyType = parseKeyType(p.keyType);
  const expiry = parseExpiry(p.expiry);
  const target = armTarget(p.context, p.subscriptionId);
  const client = armClient(ApiManagementClient, target);
  const result = await client.user.getSharedAccessToken(
    p.resourceGroupName,
    p.serviceName,
    p.userId,
    { keyType, expiry },
    { abortSignal },
  );
  return { userToken: result.value ?? "" };
}

export async function getTenantAccess(p: ApimGetTenantAccessParams, abortSignal: AbortSignal): Promise<ApimGetTenantAccessResult> {
  checkServiceRef(p);
  if (p.accessName !== "access" && p.accessName !== "gitAccess") {
    throw invalidInput("InvalidAccessName", "AccessName", `Access name ${quote(p.accessName)} is invalid: use access or gitAccess.`);
  }
  const target = armTarget(p.context, p.subscriptionId);
  const client = armClient(ApiManagementClient, target);
  const r = await client.tenantAccess.get(p.resourceGroupName, p.serviceName, p.accessName, { abortSignal });
  return { resourceId: r.id ?? "", principalId: r.principalId ?? "", enabled: r.enabled ?? false };
}

/** The user id is the last segment of the ARM id (`…/users/{userId}`). */
function toApimUser(u: UserContract): ApimUser {
  return {
    id: u.id ?? "",
    userId: u.name ?? (u.id ?? "").split("/").pop() ?? "",
    firstName: u.firstName,
    lastName: u.lastName,
    email: u.email,
    state: u.state ? u.state.charAt(0).toUpperCase() + u.state.slice(1) : undefined,
    registrationDate: u.registrationDate?.toISOString(),
    note: u.note,
    identities: (u.identities ?? []).map((i) => ({ provider: i.provider ?? "", id: i.id ?? "" })),
  };
}

/** OData string literal: single quotes doubled. */
function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The `$filter` Az.ApiManagement sends for its -FirstName/-LastName/-Email/-State parameters. */
export function userFilter(p: Pick<ApimGetUsersParams, "firstName" | "lastName" | "email" | "state">): string | undefined {
  const parts: string[] = [];
  if (p.firstName) parts.push(`firstName eq ${odataString(p.firstName)}`);
  if (p.lastName) parts.push(`lastName eq ${odataString(p.lastName)}`);
  if (p.email) parts.push(`email eq ${odataString(p.email)}`);
  if (p.state) parts.push(`state eq ${odataString(p.state.toLowerCase())}`);
  return parts.length ? parts.join(" and ") : undefined;
}

export async function getUsers(p: ApimGetUsersParams, abortSignal: AbortSignal): Promise<ApimGetUsersResult> {
  checkServiceRef(p);
  checkUserFilters(p);
  const target = armTarget(p.context, p.subscriptionId);
  const client = armClient(ApiManagementClient, target);
  if (p.userId !== undefined && p.userId !== null && p.userId !== "") {
    checkUserId(p.userId);
    const u = await client.user.get(p.resourceGroupName, p.serviceName, p.userId, { abortSignal });
    return { users: [toApimUser(u)] };
  }
  const filter = userFilter(p);
  const pages = p.groupId
    ? client.groupUser.list(p.resourceGroupName, p.serviceName, p.groupId, { filter, abortSignal })
    : client.user.listByService(p.resourceGroupName, p.serviceName, { filter, abortSignal });
  const users: ApimUser[] = [];
  for await (const u of pages) users.push(toApimUser(u));
  return { users };
}

export async function listServices(p: ApimListServicesParams, abortSignal: AbortSignal): Promise<ApimListServicesResult> {
  const target = armTarget(p.context, p.subscriptionId);
  const client = armClient(ApiManagementClient, target);
  const pages = p.resourceGroupName
    ? client.apiManagementService.listByResourceGroup(p.resourceGroupName, { abortSignal })
    : client.apiManagementService.list({ abortSignal });
  const services: ApimListServicesResult["services"] = [];
  for await (const s of pages) {
    const rg = resourceGroupOf(s.id) ?? "";
    services.push({ name: s.name ?? "", resourceGroupName: rg, location: s.location });
  }
  return { services };
}
