/**
 * API Management methods: New-AzApiManagementUserToken and the tenant access helpers, on
 * @azure/arm-apimanagement.
 */
import { ApiManagementClient } from "@azure/arm-apimanagement";
import {
  ApimGetTenantAccessParams,
  ApimGetTenantAccessResult,
  ApimNewUserTokenParams,
  ApimNewUserTokenResult,
} from "../protocol";
import { armClient, armTarget } from "../azure/arm";
import { invalidInput } from "../rpc/errors";
import { checkServiceRef, checkUserId, parseExpiry, parseKeyType } from "./validation";

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
    throw invalidInput("InvalidAccessName", "AccessName", `Access name '${p.accessName}' is invalid: use access or gitAccess.`);
  }
  const target = armTarget(p.context, p.subscriptionId);
  const client = armClient(ApiManagementClient, target);
  const r = await client.tenantAccess.get(p.resourceGroupName, p.serviceName, p.accessName, { abortSignal });
  return { resourceId: r.id ?? "", principalId: r.principalId ?? "", enabled: r.enabled ?? false };
}
