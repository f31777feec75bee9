/**
 * A2 sign-in: every way the module finds an identity and a subscription, end to end in PowerShell
 * against the emulator — environment service principal (secret, PEM and PFX certificate),
 * workload identity, managed identity, Azure CLI (test double), Az.Accounts (test double module),
 * -DefaultProfile — plus token caching and how failures read.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorProcess, startEmulatorProcess } from "../support/emulator";
import { MODULE_MANIFEST, ROOT, SERVER_BINARY } from "../support/paths";
import { PsResult, runPs } from "../support/pwsh";

const AZ_ACCOUNTS_DOUBLE = path.join(ROOT, "test", "support", "Az.Accounts", "Az.Accounts.psd1");
const AZ_CLI_DOUBLE_DIR = path.join(ROOT, "test", "support", "az-double");

let emulator: EmulatorProcess;
let tmp: string;

/** Everything that could configure an identity or a subscription, removed: each test adds its own. */
const CLEAN: Record<string, undefined> = {
  AZURE_TENANT_ID: undefined, AZURE_CLIENT_ID: undefined, AZURE_CLIENT_SECRET: undefined, AZURE_SUBSCRIPTION_ID: undefined,
  AZURE_CLIENT_CERTIFICATE_PATH: undefined, AZURE_CLIENT_CERTIFICATE_PASSWORD: undefined, AZURE_FEDERATED_TOKEN_FILE: undefined,
  IDENTITY_ENDPOINT: undefined, IDENTITY_HEADER: undefined, MSI_ENDPOINT: undefined, MSI_SECRET: undefined,
  AZTOKENBRIDGE_SERVER: undefined,
};

beforeAll(async () => {
  if (!fs.existsSync(SERVER_BINARY)) throw new Error(`${SERVER_BINARY} is missing: run npm run build first`);
  emulator = await startEmulatorProcess();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-signin-"));
});
afterAll(async () => {
  await emulator?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  await emulator.control("DELETE", "/requests");
});

/** Endpoints and trust only: where Azure is, not who signs in. */
function endpoints(): Record<string, string> {
  return {
    AZURE_AUTHORITY_HOST: emulator.info.authorityHost,
    AZTOKENBRIDGE_ARM_ENDPOINT: emulator.info.armEndpoint,
    NODE_EXTRA_CA_CERTS: emulator.info.caFile,
    // No Azure CLI config from the machine running the tests.
    AZURE_CONFIG_DIR: path.join(tmp, "no-az-config"),
    // Only the double (when a test puts it on PATH) may answer as `az`.
    PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
  };
}

const TOKEN = `$c = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
(New-AzApiManagementUserToken -Context $c -UserId integration).UserToken`;

function ps(script: string, env: Record<string, string | undefined>): Promise<PsResult> {
  return runPs(`Import-Module '${MODULE_MANIFEST}'\n${script}`, { json: true, timeoutMs: 60000, env: { ...CLEAN, ...endpoints(), ...env } });
}

const log = () => emulator.requestLog();
async function mintArmToken(opts: Record<string, unknown> = {}): Promise<string> {
  return (await emulator.control<{ accessToken: string }>("POST", "/tokens", opts)).body.accessToken;
}

function expectToken(r: PsResult): void {
  expect(r.errors).toEqual([]);
  expect(r.objects).toHaveLength(1);
  expect(r.objects[0]).toMatch(/^integration&\d{12}&/);
}

describe("the sign-in chain", () => {
  test("service principal with a PEM certificate from AZURE_CLIENT_CERTIFICATE_PATH", async () => {
    const r = await ps(TOKEN, {
      AZURE_TENANT_ID: emulator.info.tenantId, AZURE_CLIENT_ID: emulator.info.clientId,
      AZURE_CLIENT_CERTIFICATE_PATH: emulator.info.certificatePath, AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId,
    });
    expectToken(r);
    expect((await log()).filter((x) => x.grantType).map((x) => x.credentialType)).toEqual(["certificate"]);
  });

  test("service principal with a password-protected PFX certificate", async () => {
    const pfx = path.join(tmp, "client.pfx");
    // The PFX is made by .NET from the emulator's PEM, as a user would export one.
    const r = await ps(
      `$cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile('${emulator.info.certificatePath}')
[System.IO.File]::WriteAllBytes('${pfx}', $cert.Export('Pfx', 'pfx-pass-1'))
${TOKEN}`,
      {
        AZURE_TENANT_ID: emulator.info.tenantId, AZURE_CLIENT_ID: emulator.info.clientId,
        AZURE_CLIENT_CERTIFICATE_PATH: pfx, AZURE_CLIENT_CERTIFICATE_PASSWORD: "pfx-pass-1", AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId,
      },
    );
    expectToken(r);
    expect((await log()).filter((x) => x.grantType).map((x) => x.credentialType)).toEqual(["certificate"]);
  });

  test("workload identity from AZURE_FEDERATED_TOKEN_FILE", async () => {
    const file = path.join(tmp, "federated-token");
    fs.writeFileSync(file, (await emulator.control<{ token: string }>("POST", "/workload-identity/token", {})).body.token);
    const r = await ps(TOKEN, {
      AZURE_TENANT_ID: emulator.info.tenantId, AZURE_CLIENT_ID: emulator.info.clientId,
      AZURE_FEDERATED_TOKEN_FILE: file, AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId,
    });
    expectToken(r);
    expect((await log()).filter((x) => x.grantType).map((x) => x.credentialType)).toEqual(["federated"]);
  });

  test("managed identity (App Service: IDENTITY_ENDPOINT / IDENTITY_HEADER)", async () => {
    const r = await ps(TOKEN, {
      IDENTITY_ENDPOINT: emulator.info.managedIdentity.endpoint, IDENTITY_HEADER: emulator.info.managedIdentity.header,
      AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId,
    });
    expectToken(r);
    expect((await log()).some((x) => x.service === "identity" && x.status === 200)).toBe(true);
  });

  test("Azure CLI login (test double of `az`), with the CLI's default subscription", async () => {
    const config = path.join(tmp, "azure-cli");
    fs.mkdirSync(config, { recursive: true });
    // azureProfile.json as the CLI writes it: UTF-8 with a BOM.
    fs.writeFileSync(
      path.join(config, "azureProfile.json"),
      "\ufeff" + JSON.stringify({ installationId: "x", subscriptions: [
        { id: "00000000-0000-0000-0000-000000000001", isDefault: false, tenantId: emulator.info.tenantId, name: "other", state: "Enabled", user: { name: "a", type: "user" }, environmentName: "AzureCloud" },
        { id: emulator.info.subscriptionId, isDefault: true, tenantId: emulator.info.tenantId, name: "demo", state: "Enabled", user: { name: "a", type: "user" }, environmentName: "AzureCloud" },
      ] }),
    );
    const tokenFile = path.join(tmp, "az-token");
    fs.writeFileSync(tokenFile, await mintArmToken());
    const r = await ps(TOKEN, {
      PATH: `${AZ_CLI_DOUBLE_DIR}:${endpoints().PATH}`, AZURE_CONFIG_DIR: config, AZTB_FAKE_AZ_CLI_TOKEN_FILE: tokenFile,
    });
    expectToken(r);
    expect((await log()).filter((x) => x.service === "entra")).toEqual([]); // the CLI's token, not a sign-in of ours
  });

  test("Az.Accounts context (test double): its subscription and its token", async () => {
    const r = await ps(`Import-Module '${AZ_ACCOUNTS_DOUBLE}'\n${TOKEN}\n$global:AztbFakeAzTokenCalls.Count`, {
      AZTB_FAKE_AZ_SUBSCRIPTION: emulator.info.subscriptionId, AZTB_FAKE_AZ_TENANT: emulator.info.tenantId,
      AZTB_FAKE_AZ_TOKEN: await mintArmToken(),
    });
    expect(r.errors).toEqual([]);
    expect(r.objects[0]).toMatch(/^integration&\d{12}&/);
    expect(r.objects[1]).toBeGreaterThanOrEqual(1);
    expect((await log()).filter((x) => x.service === "entra")).toEqual([]);
  });

  test("the environment's service principal comes before the Azure CLI", async () => {
    const tokenFile = path.join(tmp, "az-token-2");
    fs.writeFileSync(tokenFile, await mintArmToken());
    const r = await ps(TOKEN, {
      AZURE_TENANT_ID: emulator.info.tenantId, AZURE_CLIENT_ID: emulator.info.clientId, AZURE_CLIENT_SECRET: emulator.info.clientSecret,
      AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId, PATH: `${AZ_CLI_DOUBLE_DIR}:${endpoints().PATH}`, AZTB_FAKE_AZ_CLI_TOKEN_FILE: tokenFile,
    });
    expectToken(r);
    expect((await log()).filter((x) => x.grantType).map((x) => x.credentialType)).toEqual(["secret"]);
  });

  test("nothing configured: one error that lists what was tried and how to fix each", async () => {
    const r = await ps(`${TOKEN}\n'after'`, { AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId });
    expect(r.objects).toEqual([null, "after"]); // .UserToken of no output is $null
    expect(r.errors).toHaveLength(1);
    const e = r.errors[0];
    expect(e.category).toBe("AuthenticationError");
    for (const source of [/AZURE_CLIENT_SECRET|client secret/i, /certificate/i, /AZURE_FEDERATED_TOKEN_FILE|workload/i, /IDENTITY_ENDPOINT|managed identity/i, /az login|Azure CLI/i, /Connect-AzAccount|Az\.Accounts/i]) {
      expect(e.exceptionMessage).toMatch(source);
    }
  });

  test("a wrong secret: the identity provider's error, without the secret", async () => {
    const r = await ps(TOKEN, {
      AZURE_TENANT_ID: emulator.info.tenantId, AZURE_CLIENT_ID: emulator.info.clientId, AZURE_CLIENT_SECRET: "not-the-secret-8Q~abc",
      AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId,
    });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].category).toBe("AuthenticationError");
    expect(r.errors[0].exceptionMessage).toMatch(/AADSTS7000215/);
    expect(JSON.stringify(r.records)).not.toContain("not-the-secret-8Q~abc");
  });
});

describe("-DefaultProfile", () => {
  test("a hashtable is the identity, before the environment's (which is wrong here)", async () => {
    const r = await ps(
      `$p = @{ TenantId = '${emulator.info.tenantId}'; ClientId = '${emulator.info.clientId}'; ClientSecret = '${emulator.info.clientSecret}'; SubscriptionId = '${emulator.info.subscriptionId}' }
$c = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
(New-AzApiManagementUserToken -Context $c -UserId integration -DefaultProfile $p).UserToken
(Get-AzApiManagementTenantAccess -Context $c -AzContext $p).Id`,
      { AZURE_TENANT_ID: emulator.info.tenantId, AZURE_CLIENT_ID: emulator.info.clientId, AZURE_CLIENT_SECRET: "wrong-8Q~xyz", AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000009" },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects[0]).toMatch(/^integration&/);
    expect(r.objects[1]).toBe("integration");
  });

  test("an Az context object: its subscription, and a token from Get-AzAccessToken -DefaultProfile", async () => {
    const r = await ps(
      `Import-Module '${AZ_ACCOUNTS_DOUBLE}'
$ctx = Get-AzContext
$env:AZTB_FAKE_AZ_SUBSCRIPTION = $null   # the session's current context is gone; the object still works
$c = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
(New-AzApiManagementUserToken -Context $c -UserId integration -DefaultProfile $ctx).UserToken
@($global:AztbFakeAzTokenCalls | Where-Object DefaultProfile).Count`,
      { AZTB_FAKE_AZ_SUBSCRIPTION: emulator.info.subscriptionId, AZTB_FAKE_AZ_TENANT: emulator.info.tenantId, AZTB_FAKE_AZ_TOKEN: await mintArmToken() },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects[0]).toMatch(/^integration&/);
    expect(r.objects[1]).toBe(1);
  });

  test("an unusable hashtable is refused before any call", async () => {
    const r = await ps(
      `$c = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
New-AzApiManagementUserToken -Context $c -UserId integration -DefaultProfile @{ TenantId = 't'; ClientSecret = 's' }
New-AzApiManagementUserToken -Context $c -UserId integration -DefaultProfile @{ Tennant = 't' }`,
      {},
    );
    expect(r.errors.map((e) => [e.category, e.fullyQualifiedErrorId])).toEqual([
      ["InvalidArgument", "InvalidDefaultProfile,New-AzApiManagementUserToken"],
      ["InvalidArgument", "InvalidDefaultProfile,New-AzApiManagementUserToken"],
    ]);
    expect(r.errors[1].exceptionMessage).toMatch(/unknown key 'Tennant'/);
    expect(await log()).toEqual([]);
  });
});

describe("subscription and errors", () => {
  const sp = () => ({ AZURE_TENANT_ID: emulator.info.tenantId, AZURE_CLIENT_ID: emulator.info.clientId, AZURE_CLIENT_SECRET: emulator.info.clientSecret });

  test("no subscription anywhere: a clear error naming where one can come from", async () => {
    const r = await ps(TOKEN, sp());
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].fullyQualifiedErrorId).toBe("NoSubscription,New-AzApiManagementUserToken");
    for (const source of [/-ResourceId/, /-DefaultProfile/, /AZURE_SUBSCRIPTION_ID/, /Az\.Accounts|Connect-AzAccount|Set-AzContext/, /az account set|Azure CLI/]) {
      expect(r.errors[0].exceptionMessage).toMatch(source);
    }
  });

  test("a second call in the session makes no token request", async () => {
    const r = await ps(`${TOKEN}\n(New-AzApiManagementUserToken -Context $c -UserId 1).UserId`, { ...sp(), AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId });
    expect(r.errors).toEqual([]);
    const entries = await log();
    expect(entries.filter((x) => x.grantType)).toHaveLength(1);
    expect(entries.filter((x) => x.service === "arm" && x.path.endsWith("/token"))).toHaveLength(2);
  });

  test("403 and 401 read as Az.ApiManagement writes service errors", async () => {
    const app = (await emulator.control<{ clientId: string; clientSecret: string; tenantId: string }>("POST", "/apps", { access: "none" })).body;
    const expired = await mintArmToken({ expiresInSeconds: -600 });
    const r = await ps(
      `Import-Module '${AZ_ACCOUNTS_DOUBLE}'
$c = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
New-AzApiManagementUserToken -Context $c -UserId integration -DefaultProfile @{ TenantId = '${app.tenantId}'; ClientId = '${app.clientId}'; ClientSecret = '${app.clientSecret}'; SubscriptionId = '${emulator.info.subscriptionId}' }
New-AzApiManagementUserToken -Context $c -UserId integration`,
      { AZTB_FAKE_AZ_SUBSCRIPTION: emulator.info.subscriptionId, AZTB_FAKE_AZ_TENANT: emulator.info.tenantId, AZTB_FAKE_AZ_TOKEN: expired },
    );
    expect(r.errors).toHaveLength(2);
    const [forbidden, unauthorized] = r.errors;
    expect(forbidden.category).toBe("PermissionDenied");
    expect(forbidden.fullyQualifiedErrorId).toBe("AuthorizationFailed,New-AzApiManagementUserToken");
    expect(forbidden.exceptionMessage).toMatch(/^\s*Error Code: AuthorizationFailed\r?\nError Message: The client '.+' with object id '.+' does not have authorization to perform action 'Microsoft\.ApiManagement\/service\/users\/token\/action'/);
    expect(forbidden.exceptionMessage).toMatch(/Request Id: /);
    expect(unauthorized.category).toBe("AuthenticationError");
    expect(unauthorized.exceptionMessage).toMatch(/ExpiredAuthenticationToken/);
    expect(JSON.stringify(r.records)).not.toContain(app.clientSecret);
  });
});
