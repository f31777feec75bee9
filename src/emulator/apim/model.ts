/**
 * State of the emulated API Management services: users (with their per-user keys, which ARM never
 * exposes) and the two tenant-access principals (`access` → user id `integration`, `gitAccess` → `git`).
 */
import { randomBytes } from "crypto";

export type UserState = "active" | "blocked" | "pending" | "deleted";

export interface ApimUser {
  /** The user id (the `{userId}` path segment and the token's uid). */
  userId: string;
  firstName: string;
  lastName: string;
  email: string;
  state: UserState;
  /** ISO time, e.g. "2019-05-09T04:29:23.44Z". */
  registrationDate: string;
  note: string | null;
  /** "Azure" for the service owner (user 1), "Basic" for users who signed up with e-mail. */
  identityProvider: "Azure" | "Basic" | "Microsoft" | "AadB2C";
  groups: Array<"administrators" | "developers" | "guests">;
  primaryKey: string;
  secondaryKey: string;
  version: number;
}

export type AccessName = "access" | "gitAccess";

export interface TenantAccessRecord {
  name: AccessName;
  /** The user id tokens are made for: `integration` (direct management API) or `git` (configuration repository). */
  principalId: "integration" | "git";
  enabled: boolean;
  primaryKey: string;
  secondaryKey: string;
  version: number;
}

export interface ApimServiceRecord {
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  /** Display location, e.g. "West US 2". */
  location: string;
  sku: { name: "Developer" | "Basic" | "Standard" | "Premium" | "Consumption"; capacity: number };
  publisherEmail: string;
  publisherName: string;
  createdAtUtc: string;
  /** In creation order (the order list operations return). */
  users: ApimUser[];
  tenantAccess: Record<AccessName, TenantAccessRecord>;
  version: number;
}

/** A key in the shape APIM generates: 64 random bytes, base64 (88 characters). */
export function newApimKey(): string {
  return randomBytes(64).toString("base64");
}

export class ApimStore {
  private readonly services: ApimServiceRecord[] = [];
  /**
   * Users per page when the caller gives no `$top` (the real default is not recorded: 100 is the
   * emulator's). Tests lower it (control API `PUT /_emulator/apim/page-size`) to exercise nextLink.
   */
  pageSize = 100;

  add(service: ApimServiceRecord): ApimServiceRecord {
    this.services.push(service);
    return service;
  }

  /** Subscription, resource group and service names compare case-insensitively, as in ARM. */
  find(subscriptionId: string, resourceGroup: string, name: string): ApimServiceRecord | undefined {
    return this.services.find(
      (s) =>
        s.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
        s.resourceGroup.toLowerCase() === resourceGroup.toLowerCase() &&
        s.name.toLowerCase() === name.toLowerCase(),
    );
  }

  list(subscriptionId: string, resourceGroup?: string): ApimServiceRecord[] {
    return this.services.filter(
      (s) =>
        s.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
        (resourceGroup === undefined || s.resourceGroup.toLowerCase() === resourceGroup.toLowerCase()),
    );
  }

  /** By name alone (case-insensitive), for the control API. */
  findByName(name: string): ApimServiceRecord | undefined {
    return this.services.find((s) => s.name.toLowerCase() === name.toLowerCase());
  }

  /** The first service (the demo's), for the control API's shortcuts. */
  first(): ApimServiceRecord | undefined {
    return this.services[0];
  }

  /** User ids compare case-insensitively (inference). */
  findUser(service: ApimServiceRecord, userId: string): ApimUser | undefined {
    const key = userId.toLowerCase();
    return service.users.find((u) => u.userId.toLowerCase() === key);
  }

  /**
   * The keys a token for `userId` is signed with: the tenant-access keys for `integration` and `git`,
   * the user's own keys otherwise. Undefined for an unknown user.
   */
  signingKeys(service: ApimServiceRecord, userId: string): { primaryKey: string; secondaryKey: string } | undefined {
    const access = Object.values(service.tenantAccess).find((a) => a.principalId === userId.toLowerCase());
    if (access) return { primaryKey: access.primaryKey, secondaryKey: access.secondaryKey };
    const user = this.findUser(service, userId);
    return user ? { primaryKey: user.primaryKey, secondaryKey: user.secondaryKey } : undefined;
  }
}
