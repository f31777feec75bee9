/**
 * The enum parameters (issue Z item 4; module/Client/Enums.cs) bind as Az's do: a name in any
 * case, or its number; any other value is refused at binding, naming the accepted values, before
 * any request. The server still gets the names it always got (src/protocol.ts).
 */
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST } from "../support/paths";
import { PsResult, runPs } from "../support/pwsh";

const SUB = "9e223dbe-3399-4e19-88eb-0975f02ac87f";
const MAP_ID = `/subscriptions/${SUB}/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr/scopeMaps/newmap`;

let emulator: EmulatorProcess;

useEmulator((e) => (emulator = e));
beforeEach(async () => {
  await emulator.control("DELETE", "/faults");
  await emulator.control("PUT", "/acr/operations", { reset: true, durationMs: 0, retryAfterSeconds: 0 });
  await emulator.control("DELETE", "/requests");
});

function ps(script: string): Promise<PsResult> {
  return runPs(
    `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$secret = [System.Net.NetworkCredential]::new('', $env:AZURE_CLIENT_SECRET).SecurePassword
$cred = [pscredential]::new($env:AZURE_CLIENT_ID, $secret)
${script}`,
    { json: true, timeoutMs: 90000, env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, AZTOKENBRIDGE_BROWSER: "none" } },
  );
}

test("-KeyType: secondary, SECONDARY and 1 are the Secondary key (the same signature); 0 is Primary", async () => {
  const r = await ps(`$e = [datetime]::UtcNow.Date.AddDays(2)
foreach ($k in 'Secondary', 'secondary', 'SECONDARY', 1, '1', 0, 'primary') {
    $t = New-AzApiManagementUserToken -Context $context -UserId integration -KeyType $k -Expiry $e
    [pscustomobject]@{ KeyType = $t.KeyType; Token = $t.UserToken }
}`);
  expect(r.errors).toEqual([]);
  expect(r.objects.map((o) => o.KeyType)).toEqual(["Secondary", "Secondary", "Secondary", "Secondary", "Secondary", "Primary", "Primary"]);
  const tokens = r.objects.map((o) => o.Token as string);
  expect(new Set(tokens.slice(0, 5)).size).toBe(1);
  expect(tokens[5]).toBe(tokens[6]);
  expect(tokens[5]).not.toBe(tokens[0]);
});

test("-KeyType: a wrong name or number is refused at binding, naming the accepted values; nothing is sent", async () => {
  const r = await ps(`foreach ($k in 'Tertiary', 2) {
    try { New-AzApiManagementUserToken -Context $context -UserId integration -KeyType $k } catch { [pscustomobject]@{ Id = $_.FullyQualifiedErrorId; Message = $_.Exception.Message } }
}`);
  expect(r.errors).toEqual([]);
  expect(r.objects.map((o) => o.Id)).toEqual([
    "ParameterArgumentTransformationError,New-AzApiManagementUserToken",
    "ParameterArgumentTransformationError,New-AzApiManagementUserToken",
  ]);
  expect(r.objects[0].Message).toMatch(/Cannot convert value "Tertiary" to type "AzTokenBridge\.Models\.PsApiManagementUserKeyType"/);
  expect(r.objects[0].Message).toMatch(/Primary, Secondary/);
  expect(r.objects[1].Message).toMatch(/"Primary,Secondary"/);
  expect((await emulator.requestLog()).filter((e) => e.service === "arm")).toEqual([]);
});

test("-Status: DISABLED and 1 create a disabled token, Enabled and 0 an enabled one (the wire's lower-case names)", async () => {
  const stamp = Date.now().toString(36);
  const r = await ps(`$i = 0
foreach ($s in 'DISABLED', 1, 'Enabled', 0) {
    $i++
    $t = New-AzContainerRegistryToken -Name "tokenum${stamp}$i" -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId '${MAP_ID}' -Status $s
    $t.Status
}
New-AzContainerRegistryToken -Name "tokenum${stamp}x" -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId '${MAP_ID}' -Status paused`);
  expect(r.objects).toEqual(["disabled", "disabled", "enabled", "enabled"]);
  expect(r.errors.map((e) => e.fullyQualifiedErrorId)).toEqual(["ParameterArgumentTransformationError,New-AzContainerRegistryToken"]);
  expect(r.errors[0].exceptionMessage).toMatch(/enabled, disabled/);
  expect((await emulator.requestLog()).filter((e) => e.path.endsWith(`/tokens/tokenum${stamp}x`))).toEqual([]);
});

test("-Environment: a number (1 = AzureChinaCloud) and any case; -Module: any case reaches the server as ExchangeOnline", async () => {
  const r = await ps(`New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $cred -Scopes 'https://api.partnercenter.microsoft.com/.default' -Tenant $env:AZURE_TENANT_ID -ServicePrincipal -Environment 1 -Verbose | ForEach-Object TenantId
New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $cred -Scopes 'https://api.partnercenter.microsoft.com/.default' -Tenant $env:AZURE_TENANT_ID -ServicePrincipal -Environment azureusgovernment -Verbose | ForEach-Object TenantId
New-PartnerAccessToken -Module exchangeonline -RefreshToken not-a-refresh-token -Tenant $env:AZURE_TENANT_ID
New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $cred -Scopes x -Tenant $env:AZURE_TENANT_ID -ServicePrincipal -Environment 7`);
  expect(r.objects).toEqual([emulator.info.tenantId, emulator.info.tenantId]);
  const verbose = r.records.filter((x) => x.kind === "verbose").map((x) => x.message as string);
  expect(verbose.filter((m) => m.startsWith("New-PartnerAccessToken: AzureChinaCloud, authority https://login.chinacloudapi.cn/"))).toHaveLength(1);
  expect(verbose.filter((m) => m.startsWith("New-PartnerAccessToken: AzureUSGovernment, authority https://login.microsoftonline.us/"))).toHaveLength(1);
  // -Module bound in lower case: the server took it (the refresh token is what it refused), with the
  // name as the target.
  expect(r.errors).toHaveLength(2);
  expect(r.errors[0].fullyQualifiedErrorId).toMatch(/^AADSTS9002313,New-PartnerAccessToken$/);
  expect(r.errors[0].targetObject).toBe("ExchangeOnline");
  expect(r.errors[1].fullyQualifiedErrorId).toBe("ParameterArgumentTransformationError,New-PartnerAccessToken");
  expect(r.errors[1].exceptionMessage).toMatch(/AzureCloud,AzureChinaCloud,AzureGermanCloud,AzurePPE,AzureUSGovernment/);
});
