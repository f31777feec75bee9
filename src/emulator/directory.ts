/**
 * The emulator's directory: Entra ID tenants, app registrations (service principals with secrets,
 * certificates and federated identity credentials), managed identities, resource applications
 * (token audiences), the ARM subscriptions and resource groups they own, and the role assignments
 * ARM checks (arm/authorization.ts).
 * One place, so tests and callers can register more apps, tenants and subscriptions.
 */
import { createHash, KeyObject, X509Certificate } from "crypto";
import { isGuid, newClientSecretValue, newGuid } from "./util";

export interface TenantRecord {
  tenantId: string;
  displayName: string;
  /** e.g. `contoso.onmicrosoft.com`; the token endpoint also accepts it in place of the GUID. */
  defaultDomain: string;
  /** Unix seconds; goes into tokens as `xms_tcdt`. */
  createdAt: number;
  /**
   * A Partner Center customer: the partner tenants whose users may sign in here as delegated admins
   * (GDAP/DAP), getting tokens for this tenant (`tid`) from their own refresh tokens.
   */
  delegatedAdminPartners?: string[];
}

export interface ClientSecretRecord {
  keyId: string;
  value: string;
  /** First three characters, as the portal shows them. */
  hint: string;
  /** Unix seconds; undefined = never expires. */
  expiresAt?: number;
}

/** A certificate credential (keyCredential) of an app: the public part only. */
export interface CertificateCredentialRecord {
  keyId: string;
  /** Upper-case hex SHA-1 of the DER, as the portal shows it (and Entra's error messages quote it). */
  thumbprintSha1: string;
  /** Upper-case hex SHA-256 of the DER. */
  thumbprintSha256: string;
  /** base64url SHA-1 / SHA-256 of the DER: what a client assertion's `x5t` / `x5t#S256` header carries. */
  x5t: string;
  x5tS256: string;
  publicKey: KeyObject;
  /** Validity of the certificate (Date). */
  startDate: Date;
  endDate: Date;
}

/** A federated identity credential of an app (workload identity federation). Matching is case-sensitive. */
export interface FederatedCredentialRecord {
  id: string;
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface AppRecord {
  /** Application (client) id. */
  appId: string;
  /** The tenant the service principal lives in (single-tenant apps). */
  tenantId: string;
  displayName: string;
  /** Object id of the service principal; becomes `oid` / `sub` of app tokens. */
  servicePrincipalId: string;
  /** "managedIdentity": a managed identity's service principal (no credentials of its own). */
  kind: "application" | "managedIdentity";
  secrets: ClientSecretRecord[];
  certificates: CertificateCredentialRecord[];
  federatedCredentials: FederatedCredentialRecord[];
  /**
   * "Allow public client flows": a public client (no credential of its own) may use the user flows
   * (authorization code, device code, refresh token) without client authentication; a confidential
   * app must authenticate on every grant (AADSTS7000218). Users of any tenant may sign in to it
   * (multi-tenant, as first-party apps such as Exchange Online PowerShell).
   */
  publicClient?: boolean;
  /**
   * Sign-in disabled ("Enabled for users to sign-in" off on the service principal, or disabled by
   * Microsoft): every grant fails with AADSTS7000112. Set through the control API.
   */
  disabled?: boolean;
}

/** A user account of a tenant (user flows: authorization code, device code, refresh token). */
export interface UserRecord {
  objectId: string;
  tenantId: string;
  userPrincipalName: string;
  displayName: string;
  givenName: string;
  surname: string;
  /**
   * Set on demand (control API): a refresh token from a sign-in made before `since` (Unix ms) fails
   * with this AADSTS code (50076 MFA required, 50078 MFA expired, 50079 MFA registration required)
   * as `invalid_grant` + suberror `basic_action`, as Entra ID answers a Conditional Access / MFA
   * policy; a new interactive sign-in (browser or device code) satisfies it.
   */
  interactionRequired?: { code: 50076 | 50078 | 50079; since: number };
}

/** An Azure RBAC role assignment: `principalId` (object id) holds `roleName` at `scope` and below. */
export interface RoleAssignmentRecord {
  id: string;
  principalId: string;
  /** e.g. `/subscriptions/{id}`; compared case-insensitively, by path segment. */
  scope: string;
  /** Only "Contributor" and "Owner" exist here; both allow every action the emulator serves. */
  roleName: "Contributor" | "Owner";
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
  /** Secret value; random (Entra-style) when omitted; null = no secret (managed identities). */
  clientSecret?: string | null;
  kind?: AppRecord["kind"];
  publicClient?: boolean;
}

export const ARM_RESOURCE_APP: ResourceAppRecord = {
  appId: "797f4846-ba00-4fd7-ba43-dac1f8f63013",
  displayName: "Windows Azure Service Management API",
  identifierUris: ["https://management.azure.com/", "https://management.core.windows.net/"],
};

/** Partner Center's API (New-PartnerAccessToken's usual scope: https://api.partnercenter.microsoft.com/user_impersonation). */
export const PARTNER_CENTER_RESOURCE_APP: ResourceAppRecord = {
  appId: "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd",
  displayName: "Microsoft Partner Center",
  identifierUris: ["https://api.partnercenter.microsoft.com"],
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
  PARTNER_CENTER_RESOURCE_APP,
  {
    appId: "00000002-0000-0ff1-ce00-000000000000",
    displayName: "Office 365 Exchange Online",
    identifierUris: ["https://outlook.office365.com/", "https://outlook.office.com/"],
  },
];

const normUri = (u: string): string => u.toLowerCase().replace(/\/+$/, "");

/** `/Subscriptions/X/resourceGroups/Y/` → ["subscriptions", "x", "resourcegroups", "y"]. */
function scopeSegments(scope: string): string[] {
  return scope.toLowerCase().split("/").filter((s) => s !== "");
}

export class Directory {
  private readonly tenants = new Map<string, TenantRecord>();
  private readonly apps = new Map<string, AppRecord>();
  private readonly resources: ResourceAppRecord[] = [...WELL_KNOWN_RESOURCES];
  private readonly subscriptions = new Map<string, SubscriptionRecord>();
  private readonly roleAssignments: RoleAssignmentRecord[] = [];
  private readonly users = new Map<string, UserRecord>();

  addTenant(input: { tenantId?: string; displayName: string; defaultDomain?: string; delegatedAdminPartners?: string[] }): TenantRecord {
    const tenantId = (input.tenantId ?? newGuid()).toLowerCase();
    const record: TenantRecord = {
      tenantId,
      displayName: input.displayName,
      defaultDomain:
        input.defaultDomain ?? `${input.displayName.toLowerCase().replace(/[^a-z0-9]/g, "") || "tenant"}.onmicrosoft.com`,
      createdAt: Math.floor(Date.UTC(2019, 4, 13, 21, 0, 0) / 1000),
      ...(input.delegatedAdminPartners ? { delegatedAdminPartners: input.delegatedAdminPartners.map((t) => t.toLowerCase()) } : {}),
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
    const value = input.clientSecret === null ? undefined : (input.clientSecret ?? newClientSecretValue());
    const record: AppRecord = {
      appId,
      tenantId: tenant.tenantId,
      displayName: input.displayName ?? `app-${appId.slice(0, 8)}`,
      servicePrincipalId: (input.servicePrincipalId ?? newGuid()).toLowerCase(),
      kind: input.kind ?? "application",
      secrets: value === undefined ? [] : [{ keyId: newGuid(), value, hint: value.slice(0, 3) }],
      certificates: [],
      federatedCredentials: [],
      ...(input.publicClient ? { publicClient: true } : {}),
    };
    this.apps.set(`${tenant.tenantId}|${appId}`, record);
    return record;
  }

  findApp(tenantId: string, appId: string): AppRecord | undefined {
    return this.apps.get(`${tenantId.toLowerCase()}|${appId.toLowerCase()}`);
  }

  /** Deletes an app registration and its service principal (its client id then gives AADSTS700016). */
  removeApp(app: AppRecord): void {
    this.apps.delete(`${app.tenantId}|${app.appId}`);
  }

  /** An app by client id in any tenant (client ids are globally unique). */
  findAppById(appId: string): AppRecord | undefined {
    const id = appId.toLowerCase();
    for (const app of this.apps.values()) if (app.appId === id) return app;
    return undefined;
  }

  /** Registers a certificate (PEM, public part) on an app, as "Certificates & secrets" → Upload does. */
  addCertificate(app: AppRecord, certPem: string): CertificateCredentialRecord {
    const x509 = new X509Certificate(certPem);
    const der = x509.raw;
    const sha1 = createHash("sha1").update(der).digest();
    const sha256 = createHash("sha256").update(der).digest();
    const record: CertificateCredentialRecord = {
      keyId: newGuid(),
      thumbprintSha1: sha1.toString("hex").toUpperCase(),
      thumbprintSha256: sha256.toString("hex").toUpperCase(),
      x5t: sha1.toString("base64url"),
      x5tS256: sha256.toString("base64url"),
      publicKey: x509.publicKey,
      startDate: new Date(x509.validFrom),
      endDate: new Date(x509.validTo),
    };
    app.certificates.push(record);
    return record;
  }

  /** Adds a federated identity credential (issuer + subject + audiences) to an app. */
  addFederatedCredential(
    app: AppRecord,
    input: { issuer: string; subject: string; name?: string; audiences?: string[] },
  ): FederatedCredentialRecord {
    const record: FederatedCredentialRecord = {
      id: newGuid(),
      name: input.name ?? `fic-${app.federatedCredentials.length + 1}`,
      issuer: input.issuer,
      subject: input.subject,
      audiences: input.audiences ?? ["api://AzureADTokenExchange"],
    };
    app.federatedCredentials.push(record);
    return record;
  }

  // ----- users ----------------------------------------------------------------------------------

  addUser(input: { tenantId: string; userPrincipalName: string; displayName: string; objectId?: string }): UserRecord {
    const tenant = this.findTenant(input.tenantId);
    if (!tenant) throw new Error(`unknown tenant '${input.tenantId}'`);
    const [givenName = "", surname = ""] = input.displayName.split(" ");
    const record: UserRecord = {
      objectId: (input.objectId ?? newGuid()).toLowerCase(),
      tenantId: tenant.tenantId,
      userPrincipalName: input.userPrincipalName,
      displayName: input.displayName,
      givenName,
      surname,
    };
    this.users.set(record.userPrincipalName.toLowerCase(), record);
    return record;
  }

  /** By user principal name (case-insensitive) or object id. */
  findUser(nameOrId: string): UserRecord | undefined {
    const key = nameOrId.toLowerCase();
    const byName = this.users.get(key);
    if (byName) return byName;
    for (const u of this.users.values()) if (u.objectId === key) return u;
    return undefined;
  }

  listUsers(): UserRecord[] {
    return [...this.users.values()];
  }

  // ----- Azure RBAC ------------------------------------------------------------------------------

  addRoleAssignment(principalId: string, scope: string, roleName: RoleAssignmentRecord["roleName"] = "Contributor"): RoleAssignmentRecord {
    const record: RoleAssignmentRecord = { id: newGuid(), principalId: principalId.toLowerCase(), scope, roleName };
    this.roleAssignments.push(record);
    return record;
  }

  /** True when the principal holds a role at `scope` or at one of its parents. */
  hasAccess(principalId: string, scope: string): boolean {
    const target = scopeSegments(scope);
    return this.roleAssignments.some((a) => {
      if (a.principalId !== principalId.toLowerCase()) return false;
      const s = scopeSegments(a.scope);
      return s.length <= target.length && s.every((seg, i) => seg === target[i]);
    });
  }

  /** True when the principal holds any role inside the subscription (what `GET /subscriptions` lists). */
  hasAnyAccessIn(principalId: string, subscriptionId: string): boolean {
    const sub = ["subscriptions", subscriptionId.toLowerCase()];
    return this.roleAssignments.some((a) => {
      if (a.principalId !== principalId.toLowerCase()) return false;
      const s = scopeSegments(a.scope);
      return s.length === 0 || (s[0] === sub[0] && (s.length === 1 || s[1] === sub[1]));
    });
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
