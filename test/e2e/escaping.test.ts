/**
 * Ids are escaped in URLs (issue E): nothing a user passes can change the host or the path a request
 * goes to. Checked in the emulator's request log: each value lands, percent-encoded, in exactly its
 * own path segment; the URL dot-segments "." and ".." (which URL parsing would resolve into another
 * path) are refused before any call.
 */
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST } from "../support/paths";
import { runPs } from "../support/pwsh";

let emulator: EmulatorProcess;

useEmulator((e) => (emulator = e));

const SERVICE = `/subscriptions/9e223dbe-3399-4e19-88eb-0975f02ac87f/resourceGroups/powershelltest/providers/Microsoft.ApiManagement/service/powershellsdkservice`;
const TRICKY = ["../../..", "a/../b", "a/b", "x?y=1#z", "%2e%2e", "%2F", "名前", "a b", "@evil.example", "a\\b", "....", "https://evil.example/x", "//evil.example"];

test("APIM user ids: each one percent-encoded in its own path segment of the same service; '.' and '..' refused before any call", async () => {
  await emulator.control("DELETE", "/requests");
  const ids = [...TRICKY, ".", ".."];
  const r = await runPs(
    `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$ids = @(${ids.map((id) => `'${id.replace(/'/g, "''")}'`).join(", ")})
foreach ($id in $ids) {
    $null = New-AzApiManagementUserToken -Context $context -UserId $id -ErrorAction SilentlyContinue -ErrorVariable failed
    [pscustomobject]@{ Id = $id; ErrorId = [string]$failed[0].FullyQualifiedErrorId }
}`,
    { json: true, timeoutMs: 60_000, env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined } },
  );
  expect(r.errors).toEqual([]);
  const byId = new Map(r.objects.map((o) => [o.Id, o.ErrorId as string]));
  expect(byId.get(".")).toMatch(/^InvalidUserId,/);
  expect(byId.get("..")).toMatch(/^InvalidUserId,/);
  const arm = (await emulator.requestLog()).filter((x) => x.service === "arm");
  expect(arm).toHaveLength(TRICKY.length);
  const seen = arm.map((x) => {
    expect(x.path.startsWith(`${SERVICE}/users/`)).toBe(true);
    expect(x.path.endsWith("/token")).toBe(true);
    const segment = x.path.slice(`${SERVICE}/users/`.length, -"/token".length);
    expect(segment).not.toContain("/");
    return decodeURIComponent(segment);
  });
  expect(seen.sort()).toEqual([...TRICKY].sort());
});

test("Partner Center -Tenant: a dot-segment or a path is refused before any call", async () => {
  await emulator.control("DELETE", "/requests");
  const r = await runPs(
    `Import-Module '${MODULE_MANIFEST}'
$secret = [System.Net.NetworkCredential]::new('', $env:AZURE_CLIENT_SECRET).SecurePassword
$credential = [pscredential]::new($env:AZURE_CLIENT_ID, $secret)
foreach ($t in '..', '.', 'a/b', '../common', '-x', 'x.') {
    $null = New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $credential -Tenant $t -Scopes 'https://api.partnercenter.microsoft.com/.default' -ServicePrincipal -ErrorAction SilentlyContinue -ErrorVariable failed
    [pscustomobject]@{ Tenant = $t; ErrorId = [string]$failed[0].FullyQualifiedErrorId }
}`,
    { json: true, timeoutMs: 60_000, env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined } },
  );
  expect(r.errors).toEqual([]);
  expect(r.objects.map((o) => o.ErrorId)).toEqual(Array(6).fill(expect.stringMatching(/^InvalidTenant,New-PartnerAccessToken$/)));
  expect((await emulator.requestLog()).filter((x) => x.service === "entra")).toEqual([]);
});
