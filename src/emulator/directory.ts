/**
 * The emulator's directory: Entra ID tenants, app registrations (service principals with secrets),
 * resource applications (token audiences), and the ARM subscriptions and resource groups they own.
 * One place, so tests and callers can register more apps, tenants and subscriptions.
 */
import { isGuid, newClientSecretValue, newGuid } from "./util";

export interface TenantRecord {
  tenantId: string;
  displayName: string;
  /** e.g. `contoso.onmicrosoft.com`; the token endpoint also accepts it in place of the GUID. */
  defaultDomain: string;
  /** Unix seconds; goes into tokens as `xms_tcdt`. */
  createdAt: number;
}

export interface ClientSecretRecord {
  keyId: string;
  value: string;
  /** First three characters, as the portal shows them. */
  hint: string;
  /** Unix seconds; undefined = never expires. */
  expiresAt?: number;
}

export interface AppRecord {
  /** Application (client) id. */
  appId: string;
  /** The tenant the service principal lives in (single-tenant apps). */
  tenantId: string;
  displayName: string;
  /** Object id of the service principal; becomes `oid` / `sub` of app tokens. */
  servicePrincipalId: string;
  secrets: ClientSecretRecord[];
}

/** A resource (API) application that tokens can be issued for, e.g. Azure Resource Manager. */
export interface ResourceAppRecord {
  appId: string;
  displayName: string;
  /** Accepted resource identifiers (application ID URIs), compared case-insensitively, trailing "/" optional. */
  identifierUris: string[];
}

export interface ResourceGroupRecord {
  name: string;
  location: string;
  tags: Record<string, string>;
}

export interface SubscriptionRecord {
  subscriptionId: string;
  tenantId: string;
  displayName: string;
  state: "Enabled" | "Disabled" | "Warned" | "PastDue" | "Deleted";
  /** Keyed by lower-case name (ARM resource group names are case-insensitive). */
  resourceGroups: Map<string, ResourceGroupRecord>;
}

export interface AddAppInput {
  tenantId: string;
  appId?: string;
  displayName?: string;
  servicePrincipalId?: string;
  /** Secret value; random (Entra-style) when omitted. */
  clientSecret?: string;
}

export const ARM_RESOURCE_APP: ResourceAppRecord = {
  appId: "797f4846-ba00-4fd7-ba43-dac1f8f63013",
  displayName: "Windows Azure Service Management API",
  identifierUris: ["https://management.azure.com/", "https://management.core.windows.net/"],
};

/** The audiences ARM accepts, in the order its error message lists them. */
export const ARM_AUDIENCES = [
  "https://management.core.windows.net/",
  "https://management.core.windows.net",
  "https://management.azure.com/",
  "https://management.azure.com",
];

const WELL_KNOWN_RESOURCES: ResourceAppRecord[] = [
  ARM_RESOURCE_APP,
  { appId: "00000003-0000-0000-c000-000000000000", displayName: "Microsoft Graph", identifierUris: ["https://graph.microsoft.com/"] },
  { appId: "cfa8b339-82a2-471a-a3c9-0fc0be7a4093", displayName: "Azure Key Vault", identifierUris: ["https://vault.azure.net/"] },
  { appId: "e406a681-f3d4-42a8-90b6-c2b029497af1", displayName: "Azure Storage", identifierUris: ["https://storage.azure.com/"] },
];

const normUri = (u: string): string => u.toLowerCase().replace(/\/+$/, "");

export class Directory {
  private readonly tenants = new Map<string, TenantRecord>();
  private readonly apps = new Map<string, AppRecord>();
  private readonly resources: ResourceAppRecord[] = [...WELL_KNOWN_RESOURCES];
  private readonly subscriptions = new Map<string, SubscriptionRecord>();

  addTenant(input: { tenantId?: string; displayName: string; defaultDomain?: string }): TenantRecord {
    const tenantId = (input.tenantId ?? newGuid()).toLowerCase();
    const record: TenantRecord = {
      tenantId,
      displayName: input.displayName,
      defaultDomain:
        input.defaultDomain ?? `${input.displayName.toLowerCase().replace(/[^a-z0-9]/g, "") || "tenant"}.onmicrosoft.com`,
      createdAt: Math.floor(Date.UTC(2019, 4, 13, 21, 0, 0) / 1000),
    };
    this.tenants.set(tenantId, record);
    return record;
  }

  /** By GUID or by verified domain name (case-insensitive). */
  findTenant(idOrDomain: string): TenantRecord | undefined {
    const key = idOrDomain.toLowerCase();
    const byId = this.tenants.get(key);
    if (byId) return byId;
    for (const t of this.tenants.values()) if (t.defaultDomain.toLowerCase() === key) return t;
    return undefined;
  }

  listTenants(): TenantRecord[] {
    return [...this.tenants.values()];
  }

  addApp(input: AddAppInput): AppRecord {
    const tenant = this.findTenant(input.tenantId);
    if (!tenant) throw new Error(`unknown tenant '${input.tenantId}'`);
    const appId = (input.appId ?? newGuid()).toLowerCase();
    const value = input.clientSecret ?? newClientSecretValue();
    const record: AppRecord = {
      appId,
      tenantId: tenant.tenantId,
      displayName: input.displayName ?? `app-${appId.slice(0, 8)}`,
      servicePrincipalId: (input.servicePrincipalId ?? newGuid()).toLowerCase(),
      secrets: [{ keyId: newGuid(), value, hint: value.slice(0, 3) }],
    };
    this.apps.set(`${tenant.tenantId}|${appId}`, record);
    return record;
  }

  findApp(tenantId: string, appId: string): AppRecord | undefined {
    return this.apps.get(`${tenantId.toLowerCase()}|${appId.toLowerCase()}`);
  }

  /** Adds another secret to an app (apps can hold several); returns its value. */
  addSecret(app: AppRecord, value: string = newClientSecretValue(), expiresAt?: number): ClientSecretRecord {
    const secret: ClientSecretRecord = { keyId: newGuid(), value, hint: value.slice(0, 3), expiresAt };
    app.secrets.push(secret);
    return secret;
  }

  addResourceApp(resource: ResourceAppRecord): void {
    this.resources.push(resource);
  }

  /** Resolves a resource identifier (scope without `/.default`), by URI or by app id. */
  findResource(identifier: string): ResourceAppRecord | undefined {
    const n = normUri(identifier);
    return this.resources.find(
      (r) => r.appId.toLowerCase() === n || r.identifierUris.some((u) => normUri(u) === n),
    );
  }

  addSubscription(input: { subscriptionId?: string; tenantId: string; displayName: string }): SubscriptionRecord {
    const subscriptionId = (input.subscriptionId ?? newGuid()).toLowerCase();
    if (!isGuid(subscriptionId)) throw new Error("subscription id must be a GUID");
    const record: SubscriptionRecord = {
      subscriptionId,
      tenantId: input.tenantId.toLowerCase(),
      displayName: input.displayName,
      state: "Enabled",
      resourceGroups: new Map(),
    };
    this.subscriptions.set(subscriptionId, record);
    return record;
  }

  findSubscription(subscriptionId: string): SubscriptionRecord | undefined {
    return this.subscriptions.get(subscriptionId.toLowerCase());
  }

  listSubscriptions(tenantId?: string): SubscriptionRecord[] {
    return [...this.subscriptions.values()].filter((s) => !tenantId || s.tenantId === tenantId.toLowerCase());
  }

  addResourceGroup(subscription: SubscriptionRecord, name: string, location = "westus", tags: Record<string, string> = {}): ResourceGroupRecord {
    const rg: ResourceGroupRecord = { name, location, tags };
    subscription.resourceGroups.set(name.toLowerCase(), rg);
    return rg;
  }

  findResourceGroup(subscription: SubscriptionRecord, name: string): ResourceGroupRecord | undefined {
    return subscription.resourceGroups.get(name.toLowerCase());
  }
}
