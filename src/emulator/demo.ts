/**
 * The demo data every emulator starts with (the README demo and the tests rely on it).
 *
 *   Tenant        f82175d1-9a74-4351-bdd0-7fa19a65ca08  "AzTokenBridge Demo" (aztokenbridgedemo.onmicrosoft.com)
 *   App           22bd5aae-c71c-4cd8-b121-2e614bbac154  "aztokenbridge-demo" — client secret random per start
 *                 + a client certificate made at start (EmulatorInfo.certificatePath)
 *                 + one federated identity credential: the emulator's OIDC issuer, subject
 *                   system:serviceaccount:default:aztokenbridge, audience api://AzureADTokenExchange
 *   Managed identity 6f1d5a3c-8b2e-4c7d-9a41-3e5b7c9d1f20 (client id) / principal 9c2e4a6b-1d3f-4e5a-8b7c-0d1e2f3a4b5c:
 *                 the system-assigned identity of web app `aztokenbridge-demo-web` (in powershelltest),
 *                 served at /msi/token (EmulatorInfo.managedIdentity)
 *   Public client 5d3f1a9e-2b7c-4e8d-9f60-1a2b3c4d5e6f "aztokenbridge-partner-cli" (user flows, no credential), and the
 *                 Exchange Online PowerShell app a0c73c16-a7e3-4564-9a95-2bdf47383716 (public client)
 *   Users         adele.vance@… (default) and alex.wilber@aztokenbridgedemo.onmicrosoft.com (DEMO_USERS)
 *   Customer tenant 3c1d7e5a-8f2b-4a6d-9e0c-5b7a9d1f3e24 "Contoso Customer" (contosocustomer.onmicrosoft.com): the demo
 *                 tenant is its delegated admin partner, so the demo users get tokens for it (-Tenant <customer>)
 *   Role assignments: the demo app and the managed identity are Contributor on the subscription.
 *   Subscription  9e223dbe-3399-4e19-88eb-0975f02ac87f  "AzTokenBridge Demo Subscription" (the subscription of
 *                 seed 002's example, so it runs verbatim)
 *   Resource group powershelltest (westus2)
 *   API Management powershellsdkservice (Developer, West US 2), as in the Az help example and the
 *   azure-powershell session records:
 *     tenant access `access`    → principal `integration`, enabled true (as in the 2024-05-01 spec example;
 *                                 the recordings show both states, it is a PATCH-able setting)
 *     tenant access `gitAccess` → principal `git`, enabled true (as recorded)
 *     users: `1` (Administrator, the service owner, as every APIM instance has) and 24 developers,
 *            25 in all; one `blocked`, one `pending`. Their ids are 24 hex digits like APIM's
 *            generated ids and are stable across runs; all keys are random per start.
 *
 *   Resource group lnxtest (eastus), with container registry lnxcr (Premium, East US), as in seed 002's example:
 *     scope map `newmap` (UserDefined: read and write of the `samples/*` repositories) and the system scope maps
 *     `_repositories_pull`, `_repositories_push`, `_repositories_admin`; no tokens.
 *
 * `integration` and `git` are not users: they do not appear in the users collection, but
 * `POST …/users/integration/token` (and `git`) works and is signed with the tenant access keys (apim.md §4.3).
 */
import { createHash } from "crypto";
import { AppRecord, Directory } from "./directory";
import { ApimServiceRecord, ApimStore, ApimUser, newApimKey, UserState } from "./apim/model";
import { AcrStore, acrTime, ScopeMapRecord, SystemDataRecord } from "./acr/model";

export const DEMO = {
  tenantId: "f82175d1-9a74-4351-bdd0-7fa19a65ca08",
  tenantName: "AzTokenBridge Demo",
  tenantDomain: "aztokenbridgedemo.onmicrosoft.com",
  clientId: "22bd5aae-c71c-4cd8-b121-2e614bbac154",
  servicePrincipalId: "071cc128-db46-4563-a933-6e781bc59304",
  appName: "aztokenbridge-demo",
  subscriptionId: "9e223dbe-3399-4e19-88eb-0975f02ac87f",
  subscriptionName: "AzTokenBridge Demo Subscription",
  resourceGroup: "powershelltest",
  resourceGroupLocation: "westus2",
  apimServiceName: "powershellsdkservice",
  apimLocation: "West US 2",
  managedIdentityClientId: "6f1d5a3c-8b2e-4c7d-9a41-3e5b7c9d1f20",
  managedIdentityPrincipalId: "9c2e4a6b-1d3f-4e5a-8b7c-0d1e2f3a4b5c",
  webAppName: "aztokenbridge-demo-web",
  acrResourceGroup: "lnxtest",
  acrResourceGroupLocation: "eastus",
  acrRegistryName: "lnxcr",
  acrLocation: "eastus",
  acrScopeMapName: "newmap",
  /** A public client app ("Allow public client flows"): New-PartnerAccessToken's user flows. */
  publicClientId: "5d3f1a9e-2b7c-4e8d-9f60-1a2b3c4d5e6f",
  publicClientName: "aztokenbridge-partner-cli",
  /** Exchange Online Remote PowerShell, the first-party public client of -Module ExchangeOnline. */
  exchangeOnlineClientId: "a0c73c16-a7e3-4564-9a95-2bdf47383716",
  /** A Partner Center customer of the demo tenant: its users sign in there as delegated admins. */
  customerTenantId: "3c1d7e5a-8f2b-4a6d-9e0c-5b7a9d1f3e24",
  customerTenantName: "Contoso Customer",
  customerTenantDomain: "contosocustomer.onmicrosoft.com",
} as const;

/**
 * Demo users (user flows). Sign-in needs no password: the control API or the emulator's sign-in page
 * picks the user. The first one is the default.
 */
export const DEMO_USERS = [
  { userPrincipalName: "adele.vance@aztokenbridgedemo.onmicrosoft.com", displayName: "Adele Vance", objectId: "b7a1c3e5-9d2f-4a6b-8c0e-1f3a5c7e9b2d" },
  { userPrincipalName: "alex.wilber@aztokenbridgedemo.onmicrosoft.com", displayName: "Alex Wilber", objectId: "c8b2d4f6-0e3a-4b7c-9d1f-2a4b6d8f0c3e" },
] as const;

/** ARM id of the web app whose system-assigned identity the /msi/token endpoint serves (`xms_mirid`). */
export const DEMO_WEB_APP_ID = `/subscriptions/${DEMO.subscriptionId}/resourcegroups/${DEMO.resourceGroup}/providers/Microsoft.Web/sites/${DEMO.webAppName}`;

/** Developers of the demo service: [firstName, lastName, state]. */
const DEVELOPERS: Array<[string, string, UserState?]> = [
  ["Adele", "Vance"], ["Alex", "Wilber"], ["Allan", "Deyoung"], ["Brian", "Johnson"], ["Cameron", "White"],
  ["Christie", "Cline"], ["Debra", "Berger"], ["Diego", "Siciliani"], ["Emily", "Braun"], ["Enrico", "Cattaneo"],
  ["Grady", "Archie"], ["Henrietta", "Mueller", "blocked"], ["Irvin", "Sayers"], ["Isaiah", "Langer"], ["Johanna", "Lorenz"],
  ["Joni", "Sherman"], ["Lee", "Gu"], ["Lidia", "Holloway"], ["Lynne", "Robbins", "pending"], ["Megan", "Bowen"],
  ["Miriam", "Graham"], ["Nestor", "Wilke"], ["Patti", "Fernandez"], ["Pradeep", "Gupta"],
];

/** A stable, APIM-looking id (24 hex digits) derived from the e-mail address. */
export function demoUserId(email: string): string {
  return createHash("sha1").update(`aztokenbridge-demo-user:${email}`).digest("hex").slice(0, 24);
}

export interface DemoSeed {
  clientSecret: string;
  app: AppRecord;
  managedIdentity: AppRecord;
}

/** Fills an empty directory and APIM store with the demo data; returns the (random) client secret. */
export function seedDemoData(directory: Directory, apim: ApimStore, acr: AcrStore = new AcrStore()): DemoSeed {
  directory.addTenant({ tenantId: DEMO.tenantId, displayName: DEMO.tenantName, defaultDomain: DEMO.tenantDomain });
  const app = directory.addApp({
    tenantId: DEMO.tenantId,
    appId: DEMO.clientId,
    displayName: DEMO.appName,
    servicePrincipalId: DEMO.servicePrincipalId,
  });
  const managedIdentity = directory.addApp({
    tenantId: DEMO.tenantId,
    appId: DEMO.managedIdentityClientId,
    displayName: DEMO.webAppName,
    servicePrincipalId: DEMO.managedIdentityPrincipalId,
    clientSecret: null,
    kind: "managedIdentity",
  });
  directory.addApp({
    tenantId: DEMO.tenantId,
    appId: DEMO.publicClientId,
    displayName: DEMO.publicClientName,
    clientSecret: null,
    publicClient: true,
  });
  directory.addApp({
    tenantId: DEMO.tenantId,
    appId: DEMO.exchangeOnlineClientId,
    displayName: "Microsoft Exchange REST API Based Powershell",
    clientSecret: null,
    publicClient: true,
  });
  for (const u of DEMO_USERS) directory.addUser({ tenantId: DEMO.tenantId, ...u });
  directory.addTenant({
    tenantId: DEMO.customerTenantId,
    displayName: DEMO.customerTenantName,
    defaultDomain: DEMO.customerTenantDomain,
    delegatedAdminPartners: [DEMO.tenantId],
  });
  const subscription = directory.addSubscription({ subscriptionId: DEMO.subscriptionId, tenantId: DEMO.tenantId, displayName: DEMO.subscriptionName });
  directory.addResourceGroup(subscription, DEMO.resourceGroup, DEMO.resourceGroupLocation);
  const subscriptionScope = `/subscriptions/${DEMO.subscriptionId}`;
  directory.addRoleAssignment(app.servicePrincipalId, subscriptionScope, "Contributor");
  directory.addRoleAssignment(managedIdentity.servicePrincipalId, subscriptionScope, "Contributor");

  const user = (userId: string, firstName: string, lastName: string, email: string, registrationDate: string, extra: Partial<ApimUser> = {}): ApimUser => ({
    userId,
    firstName,
    lastName,
    email,
    state: "active",
    registrationDate,
    note: null,
    identityProvider: "Basic",
    groups: ["developers"],
    primaryKey: newApimKey(),
    secondaryKey: newApimKey(),
    version: 1,
    ...extra,
  });
  const users: ApimUser[] = [
    // The service owner, as on every APIM instance (shape as recorded for GET …/users/1).
    user("1", "Administrator", "", "admin@contoso.com", "2019-05-09T04:29:23.44Z", {
      identityProvider: "Azure",
      groups: ["administrators", "developers"],
    }),
  ];
  DEVELOPERS.forEach(([first, last, state], i) => {
    const email = `${first}.${last}@contoso.com`.toLowerCase();
    const registered = new Date(Date.UTC(2019, 4, 10 + i, 9 + (i % 8), (i * 7) % 60, (i * 13) % 60, (i * 37) % 1000));
    users.push(user(demoUserId(email), first, last, email, registered.toISOString().replace(/\.?0*Z$/, "Z"), { state: state ?? "active" }));
  });

  const service: ApimServiceRecord = {
    name: DEMO.apimServiceName,
    subscriptionId: DEMO.subscriptionId,
    resourceGroup: DEMO.resourceGroup,
    location: DEMO.apimLocation,
    sku: { name: "Developer", capacity: 1 },
    publisherEmail: "admin@contoso.com",
    publisherName: "Contoso",
    createdAtUtc: "2019-05-09T04:20:18.1234567Z",
    users,
    tenantAccess: {
      access: { name: "access", principalId: "integration", enabled: true, primaryKey: newApimKey(), secondaryKey: newApimKey(), version: 1 },
      gitAccess: { name: "gitAccess", principalId: "git", enabled: true, primaryKey: newApimKey(), secondaryKey: newApimKey(), version: 1 },
    },
    version: 1,
  };
  apim.add(service);
  seedDemoRegistry(directory, subscription, acr);
  return { clientSecret: app.secrets[0].value, app, managedIdentity };
}

/**
 * The demo app's credentials that need the running emulator: its client certificate (made at start)
 * and its federated identity credential, which names the OIDC issuer URL (known once listening).
 */
export function seedDemoAppCredentials(directory: Directory, app: AppRecord, input: { certPem: string; oidcIssuer: string; subject: string }): void {
  directory.addCertificate(app, input.certPem);
  directory.addFederatedCredential(app, { issuer: input.oidcIssuer, subject: input.subject, name: "aztokenbridge-demo-k8s" });
}

/**
 * Seed 002's names: resource group `lnxtest`, registry `lnxcr` (Premium), scope map `newmap`, and the
 * system scope maps every registry has (`_repositories_pull`, `_repositories_push`, `_repositories_admin`;
 * acr.md §5 and Azure/ARO-RP#251). Their descriptions and actions are the emulator's (no recording shows them).
 */
function seedDemoRegistry(directory: Directory, subscription: ReturnType<Directory["addSubscription"]>, acr: AcrStore): void {
  directory.addResourceGroup(subscription, DEMO.acrResourceGroup, DEMO.acrResourceGroupLocation);
  const created = new Date(Date.UTC(2023, 0, 20, 5, 0, 12, 345));
  const owner: SystemDataRecord = {
    createdBy: `admin@${DEMO.tenantDomain}`,
    createdByType: "User",
    createdAt: acrTime(created, 1234),
    lastModifiedBy: `admin@${DEMO.tenantDomain}`,
    lastModifiedByType: "User",
    lastModifiedAt: acrTime(created, 1234),
  };
  const map = (name: string, type: ScopeMapRecord["type"], description: string, actions: string[], minutes: number): ScopeMapRecord => {
    const at = acrTime(new Date(created.getTime() + minutes * 60_000), 5678);
    return {
      name, type, description, actions, creationDate: at,
      systemData: { ...owner, createdAt: at, lastModifiedAt: at },
    };
  };
  const all = (ops: string[]) => ops.map((op) => `repositories/*/${op}`);
  const scopeMaps = [
    map("_repositories_admin", "SystemDefined", "Can perform all read, write and delete operations on the registry", all(["metadata/read", "metadata/write", "content/read", "content/write", "content/delete"]), 0),
    map("_repositories_pull", "SystemDefined", "Can pull any repository of the registry", all(["content/read"]), 0),
    map("_repositories_push", "SystemDefined", "Can push to any repository of the registry", all(["content/read", "content/write"]), 0),
    map(DEMO.acrScopeMapName, "UserDefined", "Read and write the samples repositories", ["repositories/samples/hello-world/content/read", "repositories/samples/hello-world/content/write", "repositories/samples/hello-world/metadata/read"], 14),
  ];
  acr.add({
    name: DEMO.acrRegistryName,
    subscriptionId: DEMO.subscriptionId,
    resourceGroup: DEMO.acrResourceGroup,
    location: DEMO.acrLocation,
    sku: "Premium",
    creationDate: acrTime(created, 4321),
    systemData: owner,
    scopeMaps: new Map(scopeMaps.map((s) => [s.name.toLowerCase(), s])),
    tokens: new Map(),
  });
}
