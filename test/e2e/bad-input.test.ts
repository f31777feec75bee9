/**
 * Issue R: bad input found under fault and bad-input testing ends in a clear error naming the input,
 * before any network call where the service would refuse it, in the real pwsh against the emulator:
 * a huge -ResourceId parsed in linear time, dot-segment ids refused for every URL path, over-long
 * filters, malformed endpoint variables, tokens whose expiry is beyond any date, huge and unknown
 * tenants, a -DefaultProfile that is neither a hashtable nor an Az context, and control characters
 * from input escaped in messages.
 */
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST } from "../support/paths";
import { PsResult, runPs } from "../support/pwsh";

let emulator: EmulatorProcess;

useEmulator((e) => (emulator = e));
beforeEach(async () => {
  await emulator.control("DELETE", "/faults");
  await emulator.control("DELETE", "/requests");
});

/** Runs the script after `Case`, a helper that runs a block and writes one object: its error (id, message, target) or its output. */
function ps(script: string, opts: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<PsResult> {
  return runPs(
    `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
function Case([string]$Name, [scriptblock]$Block) {
    $all = @(& $Block 2>&1)
    $out = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
    $e = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })[0]
    [pscustomobject]@{
        Case = $Name
        ErrorId = if ($e) { [string]$e.FullyQualifiedErrorId } else { '' }
        Category = if ($e) { [string]$e.CategoryInfo.Category } else { '' }
        Message = if ($e) { $e.ToString() } else { '' }
        Output = @($out).Count
    }
}
${script}`,
    { json: true, timeoutMs: opts.timeoutMs ?? 90_000, env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, ...opts.env } },
  );
}

function byCase(r: PsResult): Record<string, { ErrorId: string; Category: string; Message: string; Output: number }> {
  expect(r.errors).toEqual([]);
  return Object.fromEntries(r.objects.map((o) => [o.Case, o]));
}

async function armRequests() {
  return (await emulator.requestLog()).filter((x) => x.service === "arm");
}

describe("New-AzApiManagementContext -ResourceId", () => {
  test("a 20 KB id made to backtrack is parsed at once; a 100 KB id is refused naming the limit; Az's parse is kept for real ids", async () => {
    const started = Date.now();
    // The server reads the id (src/azure/resourceId.ts): started by a first id, so that the
    // figures below are the parse's, not the server's start.
    const r = await ps(`$null = New-AzApiManagementContext -ResourceId '/subscriptions/x'
$slow = '/subscriptions/x/resourcegroups/' + ('a/resourcegroups/' * 1200)
$sw = [System.Diagnostics.Stopwatch]::StartNew()
Case 'slow' { New-AzApiManagementContext -ResourceId $slow }
[pscustomobject]@{ Case = 'slowSeconds'; Seconds = $sw.Elapsed.TotalSeconds }
$sw.Restart()
Case 'huge' { New-AzApiManagementContext -ResourceId ('/' * 100000) }
[pscustomobject]@{ Case = 'hugeSeconds'; Seconds = $sw.Elapsed.TotalSeconds }
$c = New-AzApiManagementContext -ResourceId '/subscriptions/9e223dbe-3399-4e19-88eb-0975f02ac87f/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/svc1/users/u1'
[pscustomobject]@{ Case = 'user'; Rg = $c.ResourceGroupName; Svc = $c.ServiceName; Sub = $c.SubscriptionId }
$c = New-AzApiManagementContext -ResourceId '/SUBSCRIPTIONS/s/RESOURCEGROUPS/rg2/PROVIDERS/MICROSOFT.APIMANAGEMENT/SERVICE/svc2'
[pscustomobject]@{ Case = 'upper'; Rg = $c.ResourceGroupName; Svc = $c.ServiceName; Sub = $c.SubscriptionId }
$c = New-AzApiManagementContext -ResourceId 'not an id'
[pscustomobject]@{ Case = 'none'; Rg = $c.ResourceGroupName; Svc = $c.ServiceName; Sub = $c.SubscriptionId }`, { timeoutMs: 120_000 });
    expect(r.errors).toEqual([]);
    const o = Object.fromEntries(r.objects.map((x) => [x.Case, x]));
    expect(o.slowSeconds.Seconds).toBeLessThan(2);
    expect(o.hugeSeconds.Seconds).toBeLessThan(2);
    expect(o.huge).toMatchObject({ ErrorId: "InvalidResourceId,New-AzApiManagementContext", Category: "InvalidArgument", Output: 0 });
    expect(o.huge.Message).toMatch(/ResourceId is 100000 characters long.*at most 2048/);
    expect(o.user).toMatchObject({ Rg: "rg1", Svc: "svc1", Sub: "9e223dbe-3399-4e19-88eb-0975f02ac87f" });
    expect(o.upper).toMatchObject({ Rg: "rg2", Svc: "svc2", Sub: "s" });
    expect(o.none).toMatchObject({ Rg: "", Svc: "", Sub: "" }); // as before: the context's fields are strings
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 130_000);
});

describe("ids in URL paths", () => {
  test("Get-AzApiManagementUser -GroupId '.' and '..' are refused before any call (they would list every user)", async () => {
    const r = byCase(
      await ps(`Case 'dotdot' { Get-AzApiManagementUser -Context $context -GroupId '..' }
Case 'dot' { Get-AzApiManagementUser -Context $context -GroupId '.' }
Case 'group' { Get-AzApiManagementUser -Context $context -GroupId 'administrators' }`),
    );
    for (const c of ["dotdot", "dot"]) {
      expect(r[c]).toMatchObject({ ErrorId: "InvalidGroupId,Get-AzApiManagementUser", Category: "InvalidArgument", Output: 0 });
      expect(r[c].Message).toMatch(/Group id '\.{1,2}' is invalid: '\.' and '\.\.' cannot name a group/);
    }
    expect(r.group).toMatchObject({ ErrorId: "", Output: 1 });
    expect((await armRequests()).map((x) => x.path.split("/").slice(-3).join("/"))).toEqual(["groups/administrators/users"]);
  });
});

describe("clear errors naming the input", () => {
  test("100 KB -FirstName / -LastName / -Email: refused before the call with the parameter and its limit", async () => {
    const r = byCase(
      await ps(`$big = 'a' * 100000
Case 'first' { Get-AzApiManagementUser -Context $context -FirstName $big }
Case 'last' { Get-AzApiManagementUser -Context $context -LastName ('b' * 101) }
Case 'email' { Get-AzApiManagementUser -Context $context -Email $big }
Case 'ok' { Get-AzApiManagementUser -Context $context -FirstName ('c' * 100) -Email ('d' * 254) }`),
    );
    expect(r.first).toMatchObject({ ErrorId: "InvalidFirstName,Get-AzApiManagementUser", Category: "InvalidArgument" });
    expect(r.first.Message).toMatch(/^-FirstName is 100000 characters long: .*at most 100 characters/);
    expect(r.last.ErrorId).toBe("InvalidLastName,Get-AzApiManagementUser");
    expect(r.last.Message).toMatch(/-LastName is 101 characters long.*at most 100/);
    expect(r.email.ErrorId).toBe("InvalidEmail,Get-AzApiManagementUser");
    expect(r.email.Message).toMatch(/-Email is 100000 characters long.*at most 254/);
    expect(r.ok).toMatchObject({ ErrorId: "", Output: 0 });
    expect(await armRequests()).toHaveLength(1);
  });

  test("AZTOKENBRIDGE_ARM_ENDPOINT and AZURE_AUTHORITY_HOST: junk, blank or not https is named, before any call", async () => {
    const r = byCase(
      await ps(`$arm = $env:AZTOKENBRIDGE_ARM_ENDPOINT; $authority = $env:AZURE_AUTHORITY_HOST
foreach ($v in 'junk', '   ', 'https://', 'http://127.0.0.1:1') {
    $env:AZTOKENBRIDGE_ARM_ENDPOINT = $v
    Case "arm[$v]" { Get-AzApiManagementUser -Context $context -UserId 1 }
}
$env:AZTOKENBRIDGE_ARM_ENDPOINT = $arm
foreach ($v in 'junk', '   ') {
    $env:AZURE_AUTHORITY_HOST = $v
    Case "authority[$v]" { Get-AzApiManagementUser -Context $context -UserId 1 }
}`),
    );
    for (const v of ["junk", "https://", "http://127.0.0.1:1"]) {
      expect(r[`arm[${v}]`]).toMatchObject({ ErrorId: "InvalidArmEndpoint,Get-AzApiManagementUser", Category: "InvalidArgument" });
      expect(r[`arm[${v}]`].Message).toContain(`AZTOKENBRIDGE_ARM_ENDPOINT '${v}' is not an https URL`);
    }
    expect(r["arm[   ]"]).toMatchObject({ ErrorId: "InvalidArmEndpoint,Get-AzApiManagementUser" });
    expect(r["arm[   ]"].Message).toMatch(/AZTOKENBRIDGE_ARM_ENDPOINT is set but blank/);
    expect(r["authority[junk]"]).toMatchObject({ ErrorId: "InvalidAuthorityHost,Get-AzApiManagementUser" });
    expect(r["authority[   ]"]).toMatchObject({ ErrorId: "InvalidAuthorityHost,Get-AzApiManagementUser" });
    expect(r["authority[   ]"].Message).toMatch(/AZURE_AUTHORITY_HOST is set but blank/);
    expect(await emulator.requestLog()).toEqual([]);
  });

  test("a token whose expiry is beyond any date: -AccessToken and a token endpoint's answer are named, not 'Invalid time value'", async () => {
    const { accessToken } = (await emulator.control("POST", "/tokens", { expiresInSeconds: 1e14 })).body as { accessToken: string };
    await emulator.control("PUT", "/tokens/issuance", { expiresInSeconds: 1e14, count: 1 });
    try {
      const r = byCase(
        await ps(`$scopes = 'https://api.partnercenter.microsoft.com/user_impersonation'
Case 'accessToken' { New-PartnerAccessToken -AccessToken '${accessToken}' -ApplicationId $env:AZURE_CLIENT_ID -Scopes $scopes }
$credential = [pscredential]::new($env:AZURE_CLIENT_ID, [System.Net.NetworkCredential]::new('', $env:AZURE_CLIENT_SECRET).SecurePassword)
Case 'servicePrincipal' { New-PartnerAccessToken -ServicePrincipal -Credential $credential -Tenant $env:AZURE_TENANT_ID -ApplicationId $env:AZURE_CLIENT_ID -Scopes 'https://api.partnercenter.microsoft.com/.default' }`),
      );
      expect(r.accessToken).toMatchObject({ ErrorId: "InvalidAccessToken,New-PartnerAccessToken", Category: "InvalidArgument" });
      expect(r.accessToken.Message).toMatch(/The access token's expiry \(exp \d+\) is after 9999-12-31/);
      expect(r.servicePrincipal.ErrorId).toBe("InvalidTokenExpiry,New-PartnerAccessToken");
      expect(r.servicePrincipal.Message).toMatch(/Entra ID answered a token that expires after 9999-12-31/);
    } finally {
      await emulator.control("DELETE", "/tokens/issuance");
    }
  });

  test("a 100 KB tenant is refused before any call; an unknown tenant is named as such (AADSTS90002)", async () => {
    const r = byCase(
      await ps(`$big = 'a' * 100000
$tenant = $env:AZURE_TENANT_ID
$env:AZURE_TENANT_ID = $big
Case 'envHuge' { Get-AzApiManagementUser -Context $context -UserId 1 }
$env:AZURE_TENANT_ID = $tenant
Case 'profileHuge' { Get-AzApiManagementUser -Context $context -UserId 1 -DefaultProfile @{ TenantId = $big; ClientId = $env:AZURE_CLIENT_ID; ClientSecret = $env:AZURE_CLIENT_SECRET } }
$credential = [pscredential]::new($env:AZURE_CLIENT_ID, [System.Net.NetworkCredential]::new('', $env:AZURE_CLIENT_SECRET).SecurePassword)
Case 'partnerHuge' { New-PartnerAccessToken -ServicePrincipal -Credential $credential -Tenant $big -ApplicationId $env:AZURE_CLIENT_ID -Scopes 'https://api.partnercenter.microsoft.com/.default' }
$env:AZURE_TENANT_ID = 'nosuchtenant.onmicrosoft.com'
Case 'envUnknown' { Get-AzApiManagementUser -Context $context -UserId 1 }`),
    );
    for (const [c, target] of [["envHuge", "AZURE_TENANT_ID"], ["profileHuge", "DefaultProfile"]]) {
      expect(r[c]).toMatchObject({ ErrorId: "InvalidTenantId,Get-AzApiManagementUser", Category: "InvalidArgument" });
      expect(r[c].Message).toMatch(new RegExp(`The tenant \\(${target}\\) is 100000 characters long: a tenant is a tenant id \\(GUID\\) or a domain name of at most 253 characters`));
    }
    expect(r.partnerHuge).toMatchObject({ ErrorId: "InvalidTenant,New-PartnerAccessToken", Category: "InvalidArgument" });
    expect(r.partnerHuge.Message).toMatch(/-Tenant is 100000 characters long/);
    expect(r.envUnknown).toMatchObject({ ErrorId: "AADSTS90002,Get-AzApiManagementUser", Category: "AuthenticationError" });
    expect(r.envUnknown.Message).toMatch(/Tenant nosuchtenant\.onmicrosoft\.com was not found: check AZURE_TENANT_ID/);
    // Only the unknown tenant reached Entra ID: the huge ones were refused before any call.
    expect((await emulator.requestLog()).filter((x) => x.path.length > 1000)).toEqual([]);
  });

  test("-DefaultProfile that is neither a hashtable nor an Az context: says what it accepts and what it was given", async () => {
    const r = byCase(
      await ps(`Case 'number' { Get-AzApiManagementUser -Context $context -UserId 1 -DefaultProfile 42 }
Case 'string' { Get-AzApiManagementUser -Context $context -UserId 1 -DefaultProfile 'foo' }
Case 'acr' { Get-AzContainerRegistryToken -ResourceGroupName lnxtest -RegistryName lnxcr -DefaultProfile 42 }`),
    );
    expect(r.number).toMatchObject({ ErrorId: "InvalidDefaultProfile,Get-AzApiManagementUser", Category: "InvalidArgument" });
    expect(r.number.Message).toMatch(/^-DefaultProfile takes a hashtable .* or an Az context .*; it was given \[int\] 42\./);
    expect(r.string.Message).toMatch(/it was given \[string\] 'foo'\./);
    expect(r.acr.ErrorId).toBe("InvalidDefaultProfile,Get-AzContainerRegistryToken");
    expect(await emulator.requestLog()).toEqual([]);
  });

  test("control characters from input (ESC, other C0 and C1) are escaped in every message that quotes it", async () => {
    const r = byCase(
      await ps(`$e = [char]27 + '[2J' + [char]27 + ']0;title' + [char]7 + [char]0x9b + '31m' + [char]0
Case 'server' { New-AzApiManagementUserToken -Context $context -UserId ('u' * 80 + $e) }
Case 'serverRg' { Get-AzApiManagementUser -Context (New-AzApiManagementContext -ResourceGroupName "rg$e" -ServiceName svc) }
Case 'serverAcr' { Get-AzContainerRegistryToken -ResourceGroupName lnxtest -RegistryName "lnxcr$e" }
Case 'resourceId' { Get-AzApiManagementUser -ResourceId "/x$e" }
Case 'profileKey' { Get-AzApiManagementUser -Context $context -UserId 1 -DefaultProfile @{ "k$e" = 1 } }
Case 'profileValue' { Get-AzApiManagementUser -Context $context -UserId 1 -DefaultProfile "p$e" }
$env:AZTOKENBRIDGE_ARM_ENDPOINT = "x$e"
Case 'variable' { Get-AzApiManagementUser -Context $context -UserId 1 }`),
    );
    const escaped = "\\u001b[2J\\u001b]0;title\\u0007\\u009b31m\\u0000";
    for (const c of ["server", "serverRg", "serverAcr", "resourceId", "profileKey", "profileValue", "variable"]) {
      expect(r[c].ErrorId).not.toBe("");
      // An environment variable cannot hold NUL: the value ends before it.
      expect(r[c].Message).toContain(c === "variable" ? escaped.replace("\\u0000", "") : escaped);
      expect(r[c].Message).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    }
  });
});
