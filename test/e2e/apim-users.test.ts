/**
 * A2: the rest of API Management as seed 000's examples and their natural pipelines use it —
 * users, git access, contexts from resource ids, help and argument completion — end to end in
 * PowerShell against the emulator. Needs `npm run build` (the test command runs it).
 */
import * as crypto from "node:crypto";
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST } from "../support/paths";
import { PsResult, runPs } from "../support/pwsh";

const MODELS = "Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models";

let emulator: EmulatorProcess;

useEmulator((e) => (emulator = e));
beforeEach(async () => {
  await emulator.control("DELETE", "/faults");
  await emulator.control("DELETE", "/requests");
});

function ps(script: string, opts: { json?: boolean; env?: Record<string, string | undefined> } = {}): Promise<PsResult> {
  return runPs(`Import-Module '${MODULE_MANIFEST}'\n$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice\n${script}`, {
    json: opts.json ?? true,
    timeoutMs: 60000,
    env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, ...opts.env },
  });
}

async function armLog() {
  return (await emulator.requestLog()).filter((x) => x.service === "arm");
}

describe("Get-AzApiManagementUser", () => {
  test("lists every user as PsApiManagementUser with Az's properties", async () => {
    const r = await ps(`Get-AzApiManagementUser -Context $context`);
    expect(r.errors).toEqual([]);
    expect(r.objects.length).toBe(25);
    const admin = r.objects.find((u) => u.UserId === "1");
    expect(admin.$typeNames[0]).toBe(`${MODELS}.PsApiManagementUser`);
    expect(Object.keys(admin).filter((k) => !k.startsWith("$"))).toEqual([
      "UserId", "FirstName", "LastName", "Email", "State", "RegistrationDate", "Note", "Identities", "Id", "ResourceGroupName", "ServiceName",
    ]);
    expect(admin).toMatchObject({ FirstName: "Administrator", Email: "admin@contoso.com", State: "Active", ResourceGroupName: "powershelltest", ServiceName: "powershellsdkservice" });
    expect(admin.Id).toBe(`/subscriptions/${emulator.info.subscriptionId}/resourceGroups/powershelltest/providers/Microsoft.ApiManagement/service/powershellsdkservice/users/1`);
    expect(admin.RegistrationDate).toMatchObject({ $type: "System.DateTime", kind: "Utc" });
    expect(new Set(r.objects.map((u) => u.State))).toEqual(new Set(["Active", "Blocked", "Pending"]));
  });

  test("by id, by filters (sent as Az sends them), by resource id", async () => {
    const r = await ps(`(Get-AzApiManagementUser -Context $context -UserId 1).Email
@(Get-AzApiManagementUser -Context $context -State Blocked).Count
@(Get-AzApiManagementUser -Context $context -FirstName administrator).UserId
(Get-AzApiManagementUser -ResourceId "/subscriptions/$env:AZURE_SUBSCRIPTION_ID/resourceGroups/powershelltest/providers/Microsoft.ApiManagement/service/powershellsdkservice/users/1").FirstName`);
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual(["admin@contoso.com", 1, "1", "Administrator"]);
    const filters = (await armLog()).filter((x) => x.query.$filter).map((x) => x.query.$filter);
    expect(filters).toEqual(["state eq 'blocked'", "firstName eq 'administrator'"]);
  });

  test("resource ids piped by property name: a bad one is one error in its place (InvalidResourceId, the id as target), nothing sent for it", async () => {
    const user = (id: string) => `/subscriptions/${emulator.info.subscriptionId}/resourceGroups/powershelltest/providers/Microsoft.ApiManagement/service/powershellsdkservice/users/${id}`;
    const bad = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc";
    const upper = `/SUBSCRIPTIONS/${emulator.info.subscriptionId}/RESOURCEGROUPS/powershelltest/PROVIDERS/MICROSOFT.APIMANAGEMENT/SERVICE/powershellsdkservice/USERS/1`;
    const r = await ps(`'${user("1")}', '${bad}', '${upper}' | ForEach-Object { [pscustomobject]@{ ResourceId = $_ } } |
    Get-AzApiManagementUser -ErrorVariable failed | ForEach-Object { "$($_.UserId) $($_.ResourceGroupName) $($_.ServiceName)" }
[pscustomobject]@{ Target = $failed[0].TargetObject; Count = $failed.Count }`);
    const order = r.records.filter((x) => (x.kind === "object" && typeof x.value === "string") || x.kind === "error").map((x) => (x.kind === "error" ? x.fullyQualifiedErrorId : x.value));
    expect(order).toEqual([
      "1 powershelltest powershellsdkservice",
      "InvalidResourceId,Get-AzApiManagementUser",
      "1 powershelltest powershellsdkservice",
    ]);
    expect(r.objects.at(-1)).toMatchObject({ Target: bad, Count: 1 });
    expect(r.errors[0].category).toBe("InvalidArgument");
    expect(r.errors[0].exceptionMessage).toBe(
      `'${bad}' is not the resource id of an API Management user (/subscriptions/…/resourceGroups/…/providers/Microsoft.ApiManagement/service/…/users/…). (Parameter 'ResourceId')`,
    );
    expect((await armLog()).map((x) => x.path.split("/").slice(-3).join("/"))).toEqual(["powershellsdkservice/users/1", "powershellsdkservice/users/1"]);
  });

  test("follows nextLink to the last page, and lists a group's members", async () => {
    await emulator.control("PUT", "/apim/page-size", { size: 10 });
    try {
      const r = await ps(`@(Get-AzApiManagementUser -Context $context).Count
@(Get-AzApiManagementUser -Context $context -GroupId administrators).UserId
@(Get-AzApiManagementUser -Context $context -GroupId developers).Count`);
      expect(r.errors).toEqual([]);
      expect(r.objects).toEqual([25, "1", 25]); // every demo user is a developer; only 1 an administrator
      const lists = (await armLog()).filter((x) => x.path.endsWith("/users"));
      expect(lists.map((x) => [x.path.split("/").slice(-3).join("/"), x.query.$skip ?? "0"])).toEqual([
        ["service/powershellsdkservice/users", "0"],
        ["service/powershellsdkservice/users", "10"],
        ["service/powershellsdkservice/users", "20"],
        ["groups/administrators/users", "0"],
        ["groups/developers/users", "0"],
        ["groups/developers/users", "10"],
        ["groups/developers/users", "20"],
      ]);
    } finally {
      await emulator.control("PUT", "/apim/page-size", { size: 100 });
    }
  });

  test("an unknown user is a non-terminating ObjectNotFound error naming the id", async () => {
    const r = await ps(`Get-AzApiManagementUser -Context $context -UserId nobody; 'after'`);
    expect(r.objects).toEqual(["after"]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ category: "ObjectNotFound", targetObject: "nobody", terminating: false });
    expect(r.errors[0].fullyQualifiedErrorId).toMatch(/,Get-AzApiManagementUser$/);
    expect(r.errors[0].exceptionMessage).toMatch(/Error Code: ResourceNotFound/);
  });

  test("users pipe into New-AzApiManagementUserToken, UserId bound by property name", async () => {
    const r = await ps(`Get-AzApiManagementUser -Context $context -State Active | New-AzApiManagementUserToken -Context $context -KeyType Secondary`);
    expect(r.errors).toEqual([]);
    expect(r.objects.length).toBe(23);
    for (const t of r.objects) {
      expect(t.$typeNames[0]).toBe(`${MODELS}.PsApiManagementUserToken`);
      expect(t.KeyType).toBe("Secondary");
      expect(t.UserToken.startsWith(`${t.UserId}&`)).toBe(true);
    }
    const tokens = (await armLog()).filter((x) => x.method === "POST" && x.path.endsWith("/token"));
    expect(tokens).toHaveLength(23);
  });
});

describe("tenant access", () => {
  test("Get-AzApiManagementTenantGitAccess gives the git principal; neither shows keys", async () => {
    const r = await ps(`Get-AzApiManagementTenantGitAccess -Context $context
$context | Get-AzApiManagementTenantAccess
$git = Get-AzApiManagementTenantGitAccess -Context $context
(New-AzApiManagementUserToken -Context $context -UserId $git.Id).UserToken`);
    expect(r.errors).toEqual([]);
    const [git, access, token] = r.objects;
    expect(git.$typeNames[0]).toBe(`${MODELS}.PsApiManagementAccessInformation`);
    expect(git).toMatchObject({ Enabled: true, Id: "git", PrimaryKey: null, SecondaryKey: null });
    expect(access).toMatchObject({ Enabled: true, Id: "integration", PrimaryKey: null, SecondaryKey: null });
    expect(token).toMatch(/^git&\d{12}&/);
  });
});

describe("New-AzApiManagementContext -ResourceId", () => {
  test("keeps the subscription of the id, hidden from the default display, and the cmdlets use it", async () => {
    const other = crypto.randomUUID();
    const r = await ps(`$byId = New-AzApiManagementContext -ResourceId "/subscriptions/${other}/resourceGroups/powershelltest/providers/Microsoft.ApiManagement/service/powershellsdkservice"
$byId.SubscriptionId
$byId | Out-Default
New-AzApiManagementUserToken -Context $byId -UserId integration`);
    expect(r.objects).toEqual([other]);
    expect(r.records.filter((x) => x.kind === "host").map((x) => x.text).join("")).not.toContain(other);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].exceptionMessage).toMatch(/Error Code: SubscriptionNotFound/);
    const log = await armLog();
    expect(log.map((x) => x.path.split("/")[2])).toEqual([other]);
  });
});

describe("help and completion", () => {
  test("Get-Help -Full and -Examples work for every exported cmdlet", async () => {
    const r = await ps(`foreach ($c in (Get-Module AzTokenBridge).ExportedFunctions.Keys) {
    $full = Get-Help $c -Full
    $examples = Get-Help $c -Examples
    [pscustomobject]@{ Name = $c; Synopsis = [string]$full.Synopsis; Examples = @($examples.examples.example).Count; Parameters = @($full.parameters.parameter | ForEach-Object { [string]$_.name }) }
}`);
    expect(r.errors).toEqual([]);
    expect(r.objects.map((o) => o.Name).sort()).toEqual([
      "Get-AzApiManagementTenantAccess", "Get-AzApiManagementTenantGitAccess", "Get-AzApiManagementUser",
      "Get-AzContainerRegistryScopeMap", "Get-AzContainerRegistryToken",
      "New-AzApiManagementContext", "New-AzApiManagementUserToken",
      "New-AzContainerRegistryCredentials", "New-AzContainerRegistryToken",
      "Start-AzTokenBridgeEmulator", "Stop-AzTokenBridgeEmulator",
      "New-PartnerAccessToken",
    ].sort());
    for (const o of r.objects) {
      expect(o.Synopsis).not.toMatch(new RegExp(`^\\s*${o.Name}`)); // a real synopsis, not the generated syntax
      expect(o.Examples).toBeGreaterThan(0);
    }
    const token = r.objects.find((o) => o.Name === "New-AzApiManagementUserToken");
    expect(token.Synopsis).toBe("Generates a Shared Access Token for the User.");
    expect(token.Parameters).toEqual(expect.arrayContaining(["Context", "UserId", "KeyType", "Expiry", "DefaultProfile"]));
  });

  test("argument completion offers service names and user ids", async () => {
    const r = await ps(`$in = 'New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName power'
@((TabExpansion2 -inputScript $in -cursorColumn $in.Length).CompletionMatches | ForEach-Object CompletionText)
$in = 'New-AzApiManagementContext -ResourceGroupName '
@((TabExpansion2 -inputScript $in -cursorColumn $in.Length).CompletionMatches | ForEach-Object CompletionText)
$in = 'New-AzApiManagementUserToken -Context $context -UserId '
@((TabExpansion2 -inputScript $in -cursorColumn $in.Length).CompletionMatches | ForEach-Object CompletionText).Count
$in = 'Get-AzApiManagementUser -Context $context -UserId 1'
@((TabExpansion2 -inputScript $in -cursorColumn $in.Length).CompletionMatches | ForEach-Object CompletionText)`);
    expect(r.errors).toEqual([]);
    // 25 users, and the tenant access principals integration and git (seed 000's Example 1; module/Private/Completers.ps1).
    expect(r.objects).toEqual(["powershellsdkservice", "powershelltest", 27, "1"]);
  });
});
