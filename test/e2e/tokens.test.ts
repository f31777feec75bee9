/**
 * Issue 18 (E), sign-in faults: expired, revoked and wrong-audience tokens from every sign-in
 * source, end to end in PowerShell against the emulator. Each error must say which source gave the
 * token (or refused the identity) and what to do, never show a secret, and the request log must show
 * no endless retry: a token ARM refuses is dropped, and asked for once more only when its source can
 * give a new one (service principal, workload and managed identity, Azure CLI).
 *
 * Cases run several to a PowerShell process (one server), which also shows that the refused token is
 * not reused by the next call of the session.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { azCliEnvironment, azCommands, azLogin, setUpAzCli } from "../support/azcli";
import { EmulatorProcess, RequestLogEntry, startEmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST, ROOT } from "../support/paths";
import { PsProcess, PsResult, runPs, spawnPs } from "../support/pwsh";

const AZ_ACCOUNTS_DOUBLE = path.join(ROOT, "test", "support", "Az.Accounts", "Az.Accounts.psd1");
const PARTNER_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation";

let emulator: EmulatorProcess;
let tmp: string;

/** Everything that could configure an identity or a subscription, removed: each test adds its own. */
const CLEAN: Record<string, undefined> = {
  AZURE_TENANT_ID: undefined, AZURE_CLIENT_ID: undefined, AZURE_CLIENT_SECRET: undefined, AZURE_SUBSCRIPTION_ID: undefined,
  AZURE_CLIENT_CERTIFICATE_PATH: undefined, AZURE_CLIENT_CERTIFICATE_PASSWORD: undefined, AZURE_FEDERATED_TOKEN_FILE: undefined,
  IDENTITY_ENDPOINT: undefined, IDENTITY_HEADER: undefined, MSI_ENDPOINT: undefined, MSI_SECRET: undefined,
  AZTOKENBRIDGE_SERVER: undefined, AZTOKENBRIDGE_ARM_SCOPE: undefined, AZURE_ENVIRONMENT: undefined,
  AZTB_FAKE_AZ_SUBSCRIPTION: undefined, AZTB_FAKE_AZ_TOKEN: undefined,
};

useEmulator((e) => (emulator = e));
beforeAll(async () => {
  await emulator.control("PUT", "/entra/device-codes/interval", { seconds: 1 });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-tokens-"));
});
afterAll(async () => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  await emulator.control("DELETE", "/faults");
  await emulator.control("DELETE", "/tokens/issuance");
  await emulator.control("DELETE", "/requests");
});

function endpoints(): Record<string, string> {
  return {
    AZURE_AUTHORITY_HOST: emulator.info.authorityHost,
    AZTOKENBRIDGE_ARM_ENDPOINT: emulator.info.armEndpoint,
    NODE_EXTRA_CA_CERTS: emulator.info.caFile,
    AZURE_CONFIG_DIR: path.join(tmp, "no-az-config"),
    PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
    AZTOKENBRIDGE_BROWSER: "none",
  };
}

/**
 * `Invoke-Case { … }` runs one call and writes one object: {Ok} with the result, or the first
 * error's id, category, exception message, recommended action, and how many errors there were.
 * `Wait-Step n` prints "STEP n" and waits until the test creates the file go-n (for control calls
 * between two calls of the same session).
 */
const PRELUDE = `Import-Module '${MODULE_MANIFEST}'
$apim = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
function Invoke-Case([scriptblock]$Call) {
  $out = @(& $Call 2>&1)
  $errs = @($out | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
  if ($errs.Count -eq 0) { return [pscustomobject]@{ Ok = $out[0] } }
  $e = $errs[0]
  [pscustomobject]@{ Id = $e.FullyQualifiedErrorId; Category = "$($e.CategoryInfo.Category)"; Message = $e.Exception.Message; Fix = $e.ErrorDetails.RecommendedAction; Count = $errs.Count }
}
function Get-UserToken { param($DefaultProfile) (New-AzApiManagementUserToken -Context $apim -UserId integration -DefaultProfile $DefaultProfile).UserToken }
function Wait-Step([int]$n) {
  [Console]::Out.WriteLine("STEP $n"); [Console]::Out.Flush()
  $deadline = [DateTime]::UtcNow.AddSeconds(60)
  while (-not [System.IO.File]::Exists([System.IO.Path]::Combine($env:AZTB_STEP_DIR, "go-$n"))) {
    if ([DateTime]::UtcNow -gt $deadline) { throw "step $($n): the test did not go on" }
    [System.Threading.Thread]::Sleep(50)
  }
}
`;

function ps(script: string, env: Record<string, string | undefined>): Promise<PsResult> {
  return runPs(PRELUDE + script, { json: true, timeoutMs: 90000, env: { ...CLEAN, ...endpoints(), ...env } });
}

/** Runs a script with Wait-Step points; `between[n-1]` runs when it reaches step n. */
async function psSteps(script: string, env: Record<string, string | undefined>, between: (() => Promise<unknown>)[]): Promise<PsResult> {
  const stepDir = fs.mkdtempSync(path.join(tmp, "steps-"));
  const run: PsProcess = spawnPs(PRELUDE + script, { json: true, timeoutMs: 90000, env: { ...CLEAN, ...endpoints(), ...env, AZTB_STEP_DIR: stepDir } });
  for (let i = 0; i < between.length; i++) {
    await run.waitForOutput(`STEP ${i + 1}`, 60000);
    await between[i]();
    fs.writeFileSync(path.join(stepDir, `go-${i + 1}`), "");
  }
  return run.result;
}

const log = (): Promise<RequestLogEntry[]> => emulator.requestLog();
const armCalls = (entries: RequestLogEntry[]) => entries.filter((x) => x.service === "arm").map((x) => x.status);
const tokenRequests = (entries: RequestLogEntry[]) => entries.filter((x) => x.service === "entra" && x.grantType);

async function mintArmToken(opts: Record<string, unknown> = {}): Promise<string> {
  return (await emulator.control<{ accessToken: string }>("POST", "/tokens", opts)).body.accessToken;
}
async function newApp(): Promise<{ clientId: string; clientSecret: string; tenantId: string }> {
  return (await emulator.control<{ clientId: string; clientSecret: string; tenantId: string }>("POST", "/apps", {})).body;
}

interface Case {
  Ok?: unknown;
  Id?: string;
  Category?: string;
  Message?: string;
  Fix?: string;
  Count?: number;
}

/** One error, of this id (and cmdlet) and category, whose message names the source and the fix. */
/** ARM tokens ARM refuses (expired, for another audience, revoked, of another tenant) and one it accepts. */
async function refusedTokens(): Promise<Record<"T_EXPIRED" | "T_AUDIENCE" | "T_REVOKED" | "T_TENANT" | "T_GOOD", string>> {
  const app = await newApp();
  const revoked = await mintArmToken({ clientId: app.clientId });
  await emulator.control("POST", "/tokens/revoke", { clientId: app.clientId });
  return {
    T_EXPIRED: await mintArmToken({ expiresInSeconds: -900 }),
    T_AUDIENCE: await mintArmToken({ audience: "https://vault.azure.net" }),
    T_REVOKED: revoked,
    T_TENANT: await mintArmToken({ tenantId: emulator.info.customerTenantId }),
    T_GOOD: await mintArmToken(),
  };
}

function expectError(c: Case, id: string, category: string, source: RegExp, fix: RegExp, cmdlet = "New-AzApiManagementUserToken"): void {
  expect(c).toMatchObject({ Id: `${id},${cmdlet}`, Category: category, Count: 1 });
  expect(c.Message).toMatch(source);
  expect(c.Message).toMatch(fix);
  expect(c.Fix).toMatch(fix);
}

/** Nothing secret anywhere in what PowerShell printed. */
function expectNoSecrets(r: PsResult, secrets: string[]): void {
  const all = r.stdout + r.stderr;
  for (const s of secrets) expect(all).not.toContain(s);
  expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./); // no JWT
}

describe("tokens the module forwards as they are (ARM answers 401)", () => {
  test("Az.Accounts context and -DefaultProfile Az context: expired, wrong audience, revoked; the error names the context and Connect-AzAccount; one ARM request each; a new sign-in works", async () => {
    const tokens = await refusedTokens();
    const r = await ps(
      `Import-Module '${AZ_ACCOUNTS_DOUBLE}'
foreach ($t in 'T_EXPIRED', 'T_AUDIENCE', 'T_REVOKED', 'T_TENANT', 'T_GOOD') {
  $env:AZTB_FAKE_AZ_TOKEN = [Environment]::GetEnvironmentVariable($t)
  Invoke-Case { Get-UserToken }
}
foreach ($t in 'T_EXPIRED', 'T_AUDIENCE', 'T_REVOKED') {
  $env:AZTB_FAKE_AZ_TOKEN = [Environment]::GetEnvironmentVariable($t)
  $ctx = Get-AzContext
  Invoke-Case { Get-UserToken -DefaultProfile $ctx }
}`,
      { ...tokens, AZTB_FAKE_AZ_SUBSCRIPTION: emulator.info.subscriptionId, AZTB_FAKE_AZ_TENANT: emulator.info.tenantId },
    );
    expect(r.errors).toEqual([]);
    const [expired, audience, revokedCase, tenant, good, pExpired, pAudience, pRevoked] = r.objects as Case[];
    const session = /the Az\.Accounts context of this session/;
    expectError(expired, "ExpiredAuthenticationToken", "AuthenticationError", session, /Connect-AzAccount again/);
    expect(expired.Message).toMatch(/Error Code: ExpiredAuthenticationToken\r?\nError Message: The access token expiry UTC time '.+' is earlier than current UTC time '.+'\. Azure Resource Manager refused the token from the Az\.Accounts context/);
    expect(expired.Message).toMatch(/Request Id: [0-9a-f-]{36}/);
    expectError(audience, "InvalidAuthenticationTokenAudience", "AuthenticationError", session, /Environment\.ResourceManagerUrl/);
    expect(audience.Message).toMatch(/wrong audience or resource 'https:\/\/vault\.azure\.net'/);
    expectError(revokedCase, "InvalidAuthenticationToken", "AuthenticationError", session, /Connect-AzAccount again/);
    expect(revokedCase.Message).toMatch(/The access token is invalid\./);
    expectError(tenant, "InvalidAuthenticationTokenTenant", "AuthenticationError", session, /Connect-AzAccount -Tenant/);
    expect(tenant.Message).toMatch(/The access token is from the wrong issuer/);
    expect(good.Ok).toMatch(/^integration&\d{12}&/);
    const given = /the Az context given as -DefaultProfile/;
    expectError(pExpired, "ExpiredAuthenticationToken", "AuthenticationError", given, /pass that to -DefaultProfile/);
    expectError(pAudience, "InvalidAuthenticationTokenAudience", "AuthenticationError", given, /Environment\.ResourceManagerUrl/);
    expectError(pRevoked, "InvalidAuthenticationToken", "AuthenticationError", given, /Connect-AzAccount/);
    // A handed-over token cannot be asked for again: one ARM request per call, no token request.
    const entries = await log();
    expect(armCalls(entries)).toEqual([401, 401, 401, 401, 200, 401, 401, 401]);
    expect(entries.filter((x) => x.service === "entra")).toEqual([]);
    expectNoSecrets(r, Object.values(tokens));
  });

  test("Azure CLI: a refused token is asked for once more, then the error names the CLI and 'az login'; after 'az login' the next call works", async () => {
    // The real az, signed in to the emulator as an app of its own (so that revoking its tokens touches no other test's).
    const app = await newApp();
    const cli = await setUpAzCli(emulator.info, { app });
    let seen = 0;
    /** The 'az account get-access-token' runs (the server's) since the last look, with their exit codes. */
    const newTokenCalls = () => {
      const all = azCommands(cli).filter((c) => c.command === "account get-access-token");
      const fresh = all.slice(seen);
      seen = all.length;
      return fresh.map((c) => c.exitCode);
    };
    const appTokenRequests = (entries: RequestLogEntry[]) => tokenRequests(entries).filter((x) => x.clientId === app.clientId);
    /** 'az login' again. In az 2.45 a service principal's login keeps the tokens MSAL cached for other resources (the
     * module's https://management.azure.com among them) and 'az logout' does too; 'az account clear' drops them. */
    const signInAgain = async () => {
      expect((await cli.run(["account", "clear"])).status).toBe(0);
      await azLogin(cli, app);
      await emulator.control("DELETE", "/requests");
    };
    try {
      // Every token Entra ID gives the CLI is expired, until DELETE.
      await emulator.control("PUT", "/tokens/issuance", { expiresInSeconds: -900 });
      await emulator.control("DELETE", "/requests");
      const r = await psSteps(
        `Invoke-Case { Get-UserToken }
Wait-Step 1
Invoke-Case { Get-UserToken }
Wait-Step 2
Invoke-Case { Get-UserToken }
Wait-Step 3
Invoke-Case { Get-UserToken }
Wait-Step 4
Invoke-Case { Get-UserToken }`,
        { ...azCliEnvironment(cli), AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId },
        [
          async () => {
            // Expired: the CLI was asked twice. MSAL never hands out an expired token from its cache, so each time the
            // CLI asked Entra ID, and got an expired one again.
            const entries = await log();
            expect(armCalls(entries)).toEqual([401, 401]);
            expect(appTokenRequests(entries)).toHaveLength(2);
            expect(newTokenCalls()).toEqual([0, 0]);
            // Next, the CLI gets one token for another audience, which MSAL then keeps in its cache.
            await emulator.control("DELETE", "/tokens/issuance");
            await emulator.control("PUT", "/tokens/issuance", { audience: "https://vault.azure.net", count: 1 });
            await emulator.control("DELETE", "/requests");
          },
          async () => {
            // Wrong audience: asked twice; the second time the CLI gave the same token, from its cache (one token request).
            const entries = await log();
            expect(armCalls(entries)).toEqual([401, 401]);
            expect(appTokenRequests(entries).map((x) => x.status)).toEqual([200]);
            expect(newTokenCalls()).toEqual([0, 0]);
            await signInAgain();
          },
          async () => {
            // After 'az login': a new token, accepted.
            const entries = await log();
            expect(armCalls(entries)).toEqual([200]);
            expect(appTokenRequests(entries)).toHaveLength(1);
            expect(newTokenCalls()).toEqual([0]);
            // The token the server and the CLI now hold is revoked.
            expect((await emulator.control<{ revoked: number }>("POST", "/tokens/revoke", { clientId: app.clientId })).body.revoked).toBeGreaterThanOrEqual(1);
            await emulator.control("DELETE", "/requests");
          },
          async () => {
            // Revoked: the server's token refused, the CLI asked once more and gave the same token from its cache.
            const entries = await log();
            expect(armCalls(entries)).toEqual([401, 401]);
            expect(appTokenRequests(entries)).toEqual([]);
            expect(newTokenCalls()).toEqual([0]);
            await signInAgain();
          },
        ],
      );
      expect(r.errors).toEqual([]);
      const [expired, audience, good, revokedCase, goodAgain] = r.objects as Case[];
      const source = /the Azure CLI \('az account get-access-token'\)/;
      expectError(expired, "ExpiredAuthenticationToken", "AuthenticationError", source, /Sign in again with 'az account clear' and then 'az login'/);
      expect(expired.Message).toMatch(/as expired, and so was the new one it gave when asked again\./);
      expectError(audience, "InvalidAuthenticationTokenAudience", "AuthenticationError", source, /az cloud show/);
      expect(audience.Message).toMatch(/wrong audience or resource 'https:\/\/vault\.azure\.net'/);
      expect(audience.Message).not.toMatch(/the new one/);
      expect(good.Ok).toMatch(/^integration&\d{12}&/);
      expectError(revokedCase, "InvalidAuthenticationToken", "AuthenticationError", source, /Sign in again with 'az account clear' and then 'az login'/);
      expect(revokedCase.Message).toMatch(/The access token is invalid\./);
      expect(revokedCase.Message).not.toMatch(/the new one/);
      expect(goodAgain.Ok).toMatch(/^integration&\d{12}&/);
      const entries = await log();
      expect(armCalls(entries)).toEqual([200]);
      expect(appTokenRequests(entries)).toHaveLength(1);
      expect(newTokenCalls()).toEqual([0]);
      // No InvalidAuthenticationTokenTenant case: the real CLI's token is of the tenant it signed in to, and the emulator's only subscription and its apps are in that one tenant (az login --tenant <customer tenant> fails with AADSTS700016).
      expectNoSecrets(r, [app.clientSecret]);
    } finally {
      cli.cleanup();
    }
  }, 120_000);
});

describe("tokens from Entra ID (service principal): dropped and fetched once more", () => {
  test("an expired token and a revoked one are replaced by one new token each and the calls succeed", async () => {
    const app = await newApp();
    await emulator.control("PUT", "/tokens/issuance", { expiresInSeconds: -900, count: 1 });
    const r = await psSteps(
      `Invoke-Case { Get-UserToken }
Wait-Step 1
Invoke-Case { Get-UserToken }`,
      { AZURE_TENANT_ID: app.tenantId, AZURE_CLIENT_ID: app.clientId, AZURE_CLIENT_SECRET: app.clientSecret, AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId },
      [async () => {
        const first = await log();
        expect(tokenRequests(first)).toHaveLength(2); // the expired one, then a fresh one
        expect(armCalls(first)).toEqual([401, 200]);
        await emulator.control("DELETE", "/requests");
        // The fresh token, cached by the server, is revoked before the second call.
        expect((await emulator.control<{ revoked: number }>("POST", "/tokens/revoke", { clientId: app.clientId })).body.revoked).toBeGreaterThanOrEqual(2);
      }],
    );
    expect(r.errors).toEqual([]);
    expect(r.objects.map((o: Case) => o.Ok)).toEqual([expect.stringMatching(/^integration&/), expect.stringMatching(/^integration&/)]);
    const second = await log();
    expect(armCalls(second)).toEqual([401, 200]);
    // The refused token was not taken from any cache: one token request, asking for a token issued from now on.
    expect(tokenRequests(second)).toHaveLength(1);
    expectNoSecrets(r, [app.clientSecret]);
  });

  test("ARM refusing every new token (expired, wrong audience): two token requests and two ARM requests, then an error naming AZURE_CLIENT_SECRET's service principal", async () => {
    const app = await newApp();
    await emulator.control("PUT", "/tokens/issuance", { expiresInSeconds: -900 });
    const sp = { AZURE_TENANT_ID: app.tenantId, AZURE_CLIENT_ID: app.clientId, AZURE_CLIENT_SECRET: app.clientSecret, AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId };
    const r = await ps(`Invoke-Case { Get-UserToken }`, sp);
    const [expired] = r.objects as Case[];
    expectError(expired, "ExpiredAuthenticationToken", "AuthenticationError", new RegExp(`the service principal from the environment \\(AZURE_CLIENT_ID ${app.clientId}, AZURE_CLIENT_SECRET\\)`), /check this machine's clock/);
    expect(expired.Message).toMatch(/and so was the new one it gave when asked again/);
    let entries = await log();
    expect(armCalls(entries)).toEqual([401, 401]);
    expect(tokenRequests(entries)).toHaveLength(2);

    await emulator.control("DELETE", "/tokens/issuance");
    await emulator.control("DELETE", "/requests");
    const a = await ps(`Invoke-Case { Get-UserToken }`, { ...sp, AZTOKENBRIDGE_ARM_SCOPE: "https://vault.azure.net/.default" });
    expectError(a.objects[0], "InvalidAuthenticationTokenAudience", "AuthenticationError", /the service principal from the environment/, /AZTOKENBRIDGE_ARM_SCOPE/);
    entries = await log();
    expect(armCalls(entries)).toEqual([401, 401]);
    expect(tokenRequests(entries)).toHaveLength(2);
    expectNoSecrets(r, [app.clientSecret]);
    expectNoSecrets(a, [app.clientSecret]);
  });
});

describe("a piped batch (the window sends several requests at once)", () => {
  test("a token that expired under eight inputs in flight: each input is sent at most twice, every input succeeds; with every new token refused, one error per input naming the source", async () => {
    const app = await newApp();
    const sp = { AZURE_TENANT_ID: app.tenantId, AZURE_CLIENT_ID: app.clientId, AZURE_CLIENT_SECRET: app.clientSecret, AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId };
    const script = `$in = 0..7 | ForEach-Object { [pscustomobject]@{ UserId = @('integration', 'git', '1')[$_ % 3] } }
$out = @($in | New-AzApiManagementUserToken -Context $apim -ThrottleLimit 8 -ErrorVariable ev -ErrorAction SilentlyContinue)
[pscustomobject]@{ Ok = @($out | ForEach-Object UserId) -join ','; Errors = @($ev | ForEach-Object FullyQualifiedErrorId) -join ','; Sources = @($ev | Where-Object { $_.Exception.Message -match 'refused the token from the service principal from the environment' }).Count }`;
    await emulator.control("PUT", "/tokens/issuance", { expiresInSeconds: -900, count: 1 });
    const once = await ps(script, sp);
    expect(once.errors).toEqual([]);
    expect(once.objects[0]).toMatchObject({ Ok: "integration,git,1,integration,git,1,integration,git", Errors: "" });
    let entries = await log();
    const arm = entries.filter((x) => x.service === "arm");
    expect(arm.filter((x) => x.status === 200)).toHaveLength(8);
    expect(arm.length).toBeLessThanOrEqual(16);
    expect(tokenRequests(entries).length).toBeLessThanOrEqual(3);

    await emulator.control("PUT", "/tokens/issuance", { expiresInSeconds: -900 });
    await emulator.control("DELETE", "/requests");
    const always = await ps(script, sp);
    expect(always.errors).toEqual([]);
    expect(always.objects[0]).toMatchObject({ Ok: "", Errors: Array(8).fill("ExpiredAuthenticationToken,New-AzApiManagementUserToken").join(","), Sources: 8 });
    entries = await log();
    expect(entries.filter((x) => x.service === "arm").every((x) => x.status === 401)).toBe(true);
    expect(entries.filter((x) => x.service === "arm").length).toBeLessThanOrEqual(16);
    expect(tokenRequests(entries).length).toBeLessThanOrEqual(9);
    expectNoSecrets(always, [app.clientSecret]);
  });
});

describe("identities Entra ID refuses: the source and what to do", () => {
  test("service principal: expired secret (environment and -DefaultProfile), disabled app, deleted app, expired certificate (environment and Partner's -CertificateThumbprint)", async () => {
    const [expiredApp, disabledApp, deletedApp] = [await newApp(), await newApp(), await newApp()];
    await emulator.control("PATCH", `/apps/${expiredApp.clientId}`, { secretsExpired: true });
    await emulator.control("PATCH", `/apps/${disabledApp.clientId}`, { disabled: true });
    await emulator.control("DELETE", `/apps/${deletedApp.clientId}`);
    await emulator.control("PATCH", `/apps/${emulator.info.clientId}`, { certificatesExpired: true });
    const env = (a: { clientId: string; clientSecret: string }) => `$env:AZURE_CLIENT_ID = '${a.clientId}'; $env:AZURE_CLIENT_SECRET = $env:S_${a.clientId.slice(0, 8)}`;
    const secrets = Object.fromEntries([expiredApp, disabledApp, deletedApp].map((a) => [`S_${a.clientId.slice(0, 8)}`, a.clientSecret]));
    let r: PsResult;
    try {
      r = await ps(
        `${env(expiredApp)}
Invoke-Case { Get-UserToken }
$p = @{ TenantId = $env:AZURE_TENANT_ID; ClientId = '${expiredApp.clientId}'; ClientSecret = $env:AZURE_CLIENT_SECRET; SubscriptionId = $env:AZURE_SUBSCRIPTION_ID }
$env:AZURE_CLIENT_SECRET = $null
Invoke-Case { Get-UserToken -DefaultProfile $p }
${env(disabledApp)}
Invoke-Case { Get-UserToken }
${env(deletedApp)}
Invoke-Case { Get-UserToken }
$env:AZURE_CLIENT_SECRET = $null; $env:AZURE_CLIENT_ID = '${emulator.info.clientId}'; $env:AZURE_CLIENT_CERTIFICATE_PATH = '${emulator.info.certificatePath}'
Invoke-Case { Get-UserToken }
$pem = [System.IO.File]::ReadAllText('${emulator.info.certificatePath}')
$c = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem($pem, $pem)
$pfx = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($c.Export('Pfx'), [string]$null, 'Exportable, PersistKeySet')
$store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
$store.Open('ReadWrite'); $store.Add($pfx); $store.Close()
Invoke-Case { New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -CertificateThumbprint $pfx.Thumbprint -Scopes 'https://api.partnercenter.microsoft.com/.default' -Tenant $env:AZURE_TENANT_ID }`,
        { ...secrets, AZURE_TENANT_ID: emulator.info.tenantId, AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId, HOME: fs.mkdtempSync(path.join(tmp, "home-")) },
      );
    } finally {
      await emulator.control("PATCH", `/apps/${emulator.info.clientId}`, { certificatesExpired: false });
    }
    expect(r.errors).toEqual([]);
    const [secretEnv, secretProfile, disabled, deleted, certificate, partnerCertificate] = r.objects as Case[];
    expectError(secretEnv, "AADSTS7000222", "AuthenticationError", /the service principal from the environment/, /The client secret in AZURE_CLIENT_SECRET has expired: create a new one/);
    expectError(secretProfile, "AADSTS7000222", "AuthenticationError", /-DefaultProfile/, /The client secret in the -DefaultProfile hashtable's ClientSecret has expired/);
    expectError(disabled, "AADSTS7000112", "AuthenticationError", new RegExp(`Application '${disabledApp.clientId}'\\(.+\\) is disabled`), /an administrator must enable sign-in for it/);
    expectError(deleted, "AADSTS700016", "AuthenticationError", /the service principal from the environment/, /check AZURE_CLIENT_ID and AZURE_TENANT_ID/);
    expectError(certificate, "AADSTS700027", "AuthenticationError", /Reason - The key used is expired/, /The certificate in AZURE_CLIENT_CERTIFICATE_PATH has expired/);
    expectError(partnerCertificate, "AADSTS700027", "AuthenticationError", /Reason - The key used is expired/, /The certificate of -CertificateThumbprint is expired or not registered/, "New-PartnerAccessToken");
    // Entra ID's refusals are final: one token request each, no retry.
    expect(tokenRequests(await log())).toHaveLength(6);
    expect(armCalls(await log())).toEqual([]);
    expectNoSecrets(r, Object.values(secrets));
  });

  test("workload identity: an expired federated token file and one for another audience name AZURE_FEDERATED_TOKEN_FILE and the platform's refresh; the refreshed file is read at the next call", async () => {
    const file = path.join(tmp, "federated-token");
    const tokens = {
      F_EXPIRED: (await emulator.control<{ token: string }>("POST", "/workload-identity/token", { expiresInSeconds: -900 })).body.token,
      F_AUDIENCE: (await emulator.control<{ token: string }>("POST", "/workload-identity/token", { audience: "api://AzureADTokenExchangeX" })).body.token,
      F_GOOD: (await emulator.control<{ token: string }>("POST", "/workload-identity/token", {})).body.token,
    };
    // The platform (here the script) writes the file before each call, as the kubelet rotates it.
    const r = await ps(
      `foreach ($t in 'F_EXPIRED', 'F_AUDIENCE', 'F_GOOD') {
  [System.IO.File]::WriteAllText($env:AZURE_FEDERATED_TOKEN_FILE, [Environment]::GetEnvironmentVariable($t))
  Invoke-Case { Get-UserToken }
}`,
      { ...tokens, AZURE_TENANT_ID: emulator.info.tenantId, AZURE_CLIENT_ID: emulator.info.clientId, AZURE_FEDERATED_TOKEN_FILE: file, AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId },
    );
    expect(r.errors).toEqual([]);
    const [expired, audience, good] = r.objects as Case[];
    expectError(expired, "AADSTS700024", "AuthenticationError", /workload identity/, /The federated token in AZURE_FEDERATED_TOKEN_FILE has expired .*must refresh it/);
    expect(expired.Message).toMatch(/Client assertion is not within its valid time range/);
    expectError(audience, "AADSTS700212", "AuthenticationError", /workload identity/, /The token in AZURE_FEDERATED_TOKEN_FILE was issued for another audience/);
    expect(good.Ok).toMatch(/^integration&/);
    expect(tokenRequests(await log()).map((x) => x.status)).toEqual([401, 401, 200]);
    expectNoSecrets(r, Object.values(tokens));
  });
});

describe("managed identity", () => {
  test("an endpoint that gives expired tokens: asked once more, then an error naming IDENTITY_ENDPOINT; an endpoint error names it too; then a call works", async () => {
    const mi = emulator.info.managedIdentity;
    await emulator.control("PUT", "/tokens/issuance", { expiresInSeconds: -900 });
    const r = await psSteps(
      `Invoke-Case { Get-UserToken }
Wait-Step 1
Invoke-Case { Get-UserToken }
Wait-Step 2
Invoke-Case { Get-UserToken }`,
      { IDENTITY_ENDPOINT: mi.endpoint, IDENTITY_HEADER: mi.header, AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId },
      [
        async () => {
          const entries = await log();
          expect(armCalls(entries)).toEqual([401, 401]);
          expect(entries.filter((x) => x.service === "identity").map((x) => x.status)).toEqual([200, 200]);
          await emulator.control("DELETE", "/tokens/issuance");
          await emulator.control("DELETE", "/requests");
          await emulator.control("POST", "/faults", {
            match: { service: "identity" }, status: 400, count: 1,
            body: { statusCode: 400, message: "Unable to load the proper Managed Identity.", correlationId: "00000000-0000-0000-0000-000000000001" },
          });
        },
        async () => {
          expect((await log()).filter((x) => x.service === "identity")).toHaveLength(1);
          await emulator.control("DELETE", "/requests");
        },
      ],
    );
    expect(r.errors).toEqual([]);
    const [expired, failed, good] = r.objects as Case[];
    expectError(expired, "ExpiredAuthenticationToken", "AuthenticationError", new RegExp(`the managed identity endpoint \\(IDENTITY_ENDPOINT / MSI_ENDPOINT ${mi.endpoint.replace(/[.]/g, "\\.")}\\)`), /check IDENTITY_ENDPOINT/);
    expect(failed).toMatchObject({ Id: "ManagedIdentitySignInFailed,New-AzApiManagementUserToken", Category: "AuthenticationError", Count: 1 });
    expect(failed.Message).toMatch(new RegExp(`Sign-in with the managed identity \\(${mi.endpoint.replace(/[.]/g, "\\.")}\\) failed: .*Unable to load the proper Managed Identity`));
    expect(failed.Fix).toMatch(/IDENTITY_ENDPOINT/);
    expect(good.Ok).toMatch(/^integration&/);
    expect(armCalls(await log())).toEqual([200]);
    expectNoSecrets(r, [mi.header]);
  });
});

describe("Partner Center", () => {
  test("a refresh token for another client (AADSTS700007), a revoked one (AADSTS50173), a secret that expired (-Credential), an -AccessToken for another audience", async () => {
    const user = emulator.info.users[1];
    const app = await newApp();
    await emulator.control("PATCH", `/apps/${app.clientId}`, { secretsExpired: true });
    const armToken = await mintArmToken();
    const run = spawnPs(
      `Import-Module '${MODULE_MANIFEST}'
$rt = (New-PartnerAccessToken -ApplicationId '${emulator.info.publicClientId}' -Scopes '${PARTNER_SCOPE}' -UseDeviceAuthentication).RefreshToken
$web = [pscredential]::new($env:AZURE_CLIENT_ID, [System.Net.NetworkCredential]::new('', $env:AZURE_CLIENT_SECRET).SecurePassword)
New-PartnerAccessToken -RefreshToken $rt -Credential $web -Scopes '${PARTNER_SCOPE}' -ErrorVariable ev0 -ErrorAction SilentlyContinue
[pscustomobject]@{ Id = $ev0[0].FullyQualifiedErrorId; Message = $ev0[0].Exception.Message; Fix = $ev0[0].ErrorDetails.RecommendedAction }
[Console]::Out.WriteLine("STEP 1"); [Console]::Out.Flush()
while (-not [System.IO.File]::Exists('${tmp}/partner-go')) { [System.Threading.Thread]::Sleep(50) }
New-PartnerAccessToken -RefreshToken $rt -ApplicationId '${emulator.info.publicClientId}' -Scopes '${PARTNER_SCOPE}' -ErrorVariable ev1 -ErrorAction SilentlyContinue
[pscustomobject]@{ Id = $ev1[0].FullyQualifiedErrorId; Message = $ev1[0].Exception.Message; Fix = $ev1[0].ErrorDetails.RecommendedAction }
$cred = [pscredential]::new('${app.clientId}', [System.Net.NetworkCredential]::new('', $env:APP_SECRET).SecurePassword)
New-PartnerAccessToken -ApplicationId '${app.clientId}' -Credential $cred -Scopes 'https://api.partnercenter.microsoft.com/.default' -Tenant '${app.tenantId}' -ServicePrincipal -ErrorVariable ev2 -ErrorAction SilentlyContinue
[pscustomobject]@{ Id = $ev2[0].FullyQualifiedErrorId; Message = $ev2[0].Exception.Message; Fix = $ev2[0].ErrorDetails.RecommendedAction }
(New-PartnerAccessToken -AccessToken $env:ARM_TOKEN -ApplicationId '${emulator.info.publicClientId}' -Scopes '${PARTNER_SCOPE}').TenantId`,
      { json: true, timeoutMs: 90000, env: { ...CLEAN, ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, AZTOKENBRIDGE_BROWSER: "none", APP_SECRET: app.clientSecret, ARM_TOKEN: armToken } },
    );
    const approve = async () => {
      for (let i = 0; i < 100; i++) {
        const codes = (await emulator.control<{ userCode: string; status: string }[]>("GET", "/entra/device-codes")).body.filter((c) => c.status === "pending");
        if (codes.length) return emulator.control("POST", "/entra/device-codes/approve", { userCode: codes[0].userCode, user });
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error("no device code");
    };
    await approve();
    await run.waitForOutput("STEP 1", 60000);
    expect((await emulator.control<{ revoked: number }>("POST", "/entra/refresh-tokens/revoke", { user })).body.revoked).toBeGreaterThanOrEqual(1);
    fs.writeFileSync(path.join(tmp, "partner-go"), "");
    const r = await run.result;
    expect(r.errors).toEqual([]);
    const [otherClient, revoked, expiredSecret, tenant] = r.objects as Case[] & unknown[];
    expect(otherClient.Id).toBe("AADSTS700007,New-PartnerAccessToken");
    expect(otherClient.Fix).toMatch(new RegExp(`^The refresh token was issued to another app than ${emulator.info.clientId} \\(-Credential's user name\\): pass the client id of the app that got it`));
    expect(revoked.Id).toBe("AADSTS50173,New-PartnerAccessToken");
    expect(revoked.Message).toMatch(/^AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed\./);
    expect(revoked.Fix).toMatch(/^Sign in again interactively .* then use the new refresh token: New-PartnerAccessToken -ApplicationId /);
    expect((expiredSecret as Case).Id).toBe("AADSTS7000222,New-PartnerAccessToken");
    expect((expiredSecret as Case).Fix).toMatch(/the password of -Credential\) has expired: create a new one/);
    expect((expiredSecret as Case).Message).toMatch(/the password of -Credential\) has expired/);
    // The AccessToken set keeps the original's behaviour (the token is echoed back), with a warning.
    expect(tenant).toBe(emulator.info.tenantId);
    const warnings = r.records.filter((x) => x.kind === "warning").map((x) => x.message as string);
    expect(warnings).toContainEqual(expect.stringMatching(/^The access token was issued for 'https:\/\/management\.azure\.com', not for 'https:\/\/api\.partnercenter\.microsoft\.com' \(the resource of -Scopes\)/));
    expectNoSecrets(r, [app.clientSecret, armToken, emulator.info.clientSecret]);
  });
});

describe("settings refused before any call", () => {
  test("AZURE_TENANT_ID '.', '..' or with '/', '\\', '?', '#' is refused (InvalidTenantId) and nothing is sent", async () => {
    const bad = [".", "..", "a/b", "a\\b", "x?y", "x#y", "-lead", "trail."];
    const r = await ps(
      `foreach ($t in $env:BAD_TENANTS.Split('|')) { $env:AZURE_TENANT_ID = $t; Invoke-Case { Get-UserToken } }`,
      { BAD_TENANTS: bad.join("|"), AZURE_CLIENT_ID: emulator.info.clientId, AZURE_CLIENT_SECRET: emulator.info.clientSecret, AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects).toHaveLength(bad.length);
    for (const [i, c] of (r.objects as Case[]).entries()) {
      expect(c).toMatchObject({ Id: "InvalidTenantId,New-AzApiManagementUserToken", Category: "InvalidArgument", Count: 1 });
      expect(c.Message).toContain(`The tenant '${bad[i]}' (AZURE_TENANT_ID) is neither a tenant id (GUID) nor a domain name.`);
    }
    expect(await log()).toEqual([]);
  });
});

describe("key material", () => {
  test("signing in with a PFX and a PEM certificate writes nothing to the temp directory; the emulator's key file is 0600 in a 0700 directory, removed when it stops", async () => {
    const serverTmp = fs.mkdtempSync(path.join(tmp, "server-tmp-"));
    const pfx = path.join(tmp, "client-key.pfx");
    const r = await ps(
      `$cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile('${emulator.info.certificatePath}')
[System.IO.File]::WriteAllBytes('${pfx}', $cert.Export('Pfx', 'pfx-pass-2'))
Invoke-Case { Get-UserToken }
$env:AZURE_CLIENT_CERTIFICATE_PATH = '${emulator.info.certificatePath}'; $env:AZURE_CLIENT_CERTIFICATE_PASSWORD = $null
Invoke-Case { Get-UserToken }`,
      {
        AZURE_TENANT_ID: emulator.info.tenantId, AZURE_CLIENT_ID: emulator.info.clientId, AZURE_CLIENT_CERTIFICATE_PATH: pfx,
        AZURE_CLIENT_CERTIFICATE_PASSWORD: "pfx-pass-2", AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId,
        // The server (started by the module) and .NET use this temp directory; .NET's diagnostics socket is off.
        TMPDIR: serverTmp, DOTNET_EnableDiagnostics: "0",
      },
    );
    expect(r.errors).toEqual([]);
    expect((r.objects as Case[]).map((c) => typeof c.Ok)).toEqual(["string", "string"]);
    expect(fs.readdirSync(serverTmp)).toEqual([]);
    expectNoSecrets(r, ["pfx-pass-2"]);

    const other = await startEmulatorProcess();
    const keyFile = other.info.certificatePath;
    const dir = path.dirname(keyFile);
    try {
      expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
      expect(fs.readFileSync(keyFile, "utf8")).toMatch(/-----BEGIN PRIVATE KEY-----/);
    } finally {
      await other.stop();
    }
    expect(fs.existsSync(keyFile)).toBe(false);
    expect(fs.existsSync(dir)).toBe(false);
  });
});
