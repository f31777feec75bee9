/**
 * A2 sign-in: every way the module finds an identity and a subscription, end to end in PowerShell
 * against the emulator — environment service principal (secret, PEM and PFX certificate),
 * workload identity, managed identity, Azure CLI (the real `az`, signed in to the emulator: test/support/azcli.ts),
 * Az.Accounts (test double module),
 * -DefaultProfile — plus token caching and how failures read.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { azCliEnvironment, azCommands, setUpAzCli } from "../support/azcli";
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST, ROOT } from "../support/paths";
import { PsResult, runPs } from "../support/pwsh";

const AZ_ACCOUNTS_DOUBLE = path.join(ROOT, "test", "support", "Az.Accounts", "Az.Accounts.psd1");

let emulator: EmulatorProcess;
let tmp: string;

/** Everything that could configure an identity or a subscription, removed: each test adds its own. */
const CLEAN: Record<string, undefined> = {
  AZURE_TENANT_ID: undefined, AZURE_CLIENT_ID: undefined, AZURE_CLIENT_SECRET: undefined, AZURE_SUBSCRIPTION_ID: undefined,
  AZURE_CLIENT_CERTIFICATE_PATH: undefined, AZURE_CLIENT_CERTIFICATE_PASSWORD: undefined, AZURE_FEDERATED_TOKEN_FILE: undefined,
  IDENTITY_ENDPOINT: undefined, IDENTITY_HEADER: undefined, MSI_ENDPOINT: undefined, MSI_SECRET: undefined,
  AZTOKENBRIDGE_SERVER: undefined,
};

useEmulator((e) => (emulator = e));
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-signin-"));
});
afterAll(async () => {
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
    // The Azure CLI (/usr/bin/az) gives a token only where a test points it at a signed-in config dir (azCliEnvironment).
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

  test("Azure CLI login (the real az, signed in as a service principal), with the CLI's default subscription", async () => {
    const app = (await emulator.control<{ clientId: string; clientSecret: string; tenantId: string }>("POST", "/apps", {})).body;
    const cli = await setUpAzCli(emulator.info, { app });
    try {
      // The subscription comes from the CLI's profile (azureProfile.json) as 'az account set' left it; the
      // emulator has one subscription, so the profile lists one, the default.
      expect(await cli.run(["account", "set", "--subscription", emulator.info.subscriptionId])).toEqual({ status: 0, stdout: "", stderr: "" });
      expect(await cli.json(["account", "show"])).toMatchObject({ id: emulator.info.subscriptionId, isDefault: true, user: { name: app.clientId, type: "servicePrincipal" } });
      await emulator.control("DELETE", "/requests");
      const before = azCommands(cli).length;
      const r = await ps(TOKEN, azCliEnvironment(cli)); // no AZURE_SUBSCRIPTION_ID, no service principal
      expectToken(r);
      // The server ran 'az account get-access-token' with this config dir; the token is the CLI's app's.
      expect(azCommands(cli).slice(before)).toEqual([{ command: "account get-access-token", exitCode: 0 }]);
      const entries = await log();
      expect(entries.filter((x) => x.grantType).map((x) => [x.clientId, x.grantType])).toEqual([[app.clientId, "client_credentials"]]);
      expect(entries.filter((x) => x.service === "arm").map((x) => [x.method, x.path, x.status, x.subscriptionId, x.clientId])).toEqual([
        ["POST", `/subscriptions/${emulator.info.subscriptionId}/resourceGroups/powershelltest/providers/Microsoft.ApiManagement/service/powershellsdkservice/users/integration/token`, 200, emulator.info.subscriptionId, app.clientId],
      ]);
    } finally {
      cli.cleanup();
    }
  }, 120_000);

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
    // The CLI is signed in as another app: the ARM request's client id shows which source answered.
    const cliApp = (await emulator.control<{ clientId: string; clientSecret: string; tenantId: string }>("POST", "/apps", {})).body;
    const cli = await setUpAzCli(emulator.info, { app: cliApp });
    try {
      await emulator.control("DELETE", "/requests");
      const before = azCommands(cli).length;
      // Then, in the same session, without the service principal's secret: the CLI answers.
      const r = await ps(`${TOKEN}\n$env:AZURE_CLIENT_SECRET = $null\n${TOKEN}`, {
        ...azCliEnvironment(cli),
        AZURE_TENANT_ID: emulator.info.tenantId, AZURE_CLIENT_ID: emulator.info.clientId, AZURE_CLIENT_SECRET: emulator.info.clientSecret,
        AZURE_SUBSCRIPTION_ID: emulator.info.subscriptionId,
      });
      expect(r.errors).toEqual([]);
      expect(r.objects).toEqual([expect.stringMatching(/^integration&\d{12}&/), expect.stringMatching(/^integration&\d{12}&/)]);
      const entries = await log();
      expect(entries.filter((x) => x.service === "arm").map((x) => [x.status, x.clientId])).toEqual([[200, emulator.info.clientId], [200, cliApp.clientId]]);
      expect(entries.filter((x) => x.grantType).map((x) => [x.clientId, x.credentialType])).toEqual([[emulator.info.clientId, "secret"], [cliApp.clientId, "secret"]]);
      // az ran once, for the second call.
      expect(azCommands(cli).slice(before)).toEqual([{ command: "account get-access-token", exitCode: 0 }]);
    } finally {
      cli.cleanup();
    }
  }, 120_000);

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

  test("no subscription for a registry cmdlet: the error names -SubscriptionId (its parameter), not -ResourceId", async () => {
    const r = await ps(`Get-AzContainerRegistryToken -ResourceGroupName lnxtest -RegistryName lnxcr`, sp());
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].fullyQualifiedErrorId).toBe("NoSubscription,Get-AzContainerRegistryToken");
    expect(r.errors[0].exceptionMessage).toMatch(/^No subscription to work in\. .*\n  1\. -SubscriptionId;\n/s);
    expect(r.errors[0].exceptionMessage).not.toMatch(/-ResourceId/);
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
