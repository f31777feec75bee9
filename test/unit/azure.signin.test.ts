/**
 * The sign-in chain end to end against the in-process emulator, through armTarget / armClient and
 * a real ARM call (ApiManagementClient): each source of the chain, -DefaultProfile, the chain's
 * order, its one error when nothing works, subscription sources, and the token cache (request log).
 * Managed identity has its own file (msal-node keeps its source in process-wide statics).
 */
import * as fs from "node:fs";
import { EmulatorHttp, emulatorHttp } from "../support/emulatorHttp";
import * as os from "node:os";
import * as path from "node:path";
import forge from "node-forge";
import { ApiManagementClient } from "@azure/arm-apimanagement";
import { startEmulator, RunningEmulator, EmulatorInfo } from "../../src/emulator";
import { CallContext, BridgeErrorCodes } from "../../src/protocol";
import { BridgeError, toResponseError } from "../../src/rpc/errors";
import { armClient, armTarget, clearClientCache } from "../../src/azure/arm";
import { clearCredentialCache } from "../../src/azure/credentials";
import { clock } from "../../src/azure/tokenCache";

const RG = "powershelltest";
const SVC = "powershellsdkservice";
const DOUBLE_DIR = path.join(__dirname, "..", "support", "az-double");
/**
 * The PATH of every test: a temp directory holding only a link to this node (the az double is
 * `#!/usr/bin/env node`). Nothing else, so an Azure CLI installed on the machine (/usr/bin/az) never
 * changes a result: "no az" means no az, and only the double answers when a test puts it first.
 */
let nodeOnly: string;

let emulator: RunningEmulator;
let info: EmulatorInfo;
let ca: string;
let tmp: string;
const savedEnv = { ...process.env };

interface LogEntry {
  service: string;
  method: string;
  path: string;
  status: number;
  grantType?: string;
  clientId?: string;
  credentialType?: string;
}

let control: EmulatorHttp["control"];

const log = async (): Promise<LogEntry[]> => (await control<LogEntry[]>("GET", "/requests")).body;
const tokenRequests = async () => (await log()).filter((e) => e.grantType);
const entraRequests = async () => (await log()).filter((e) => e.service === "entra");
const mint = async (opts: Record<string, unknown> = {}) => (await control<{ accessToken: string }>("POST", "/tokens", opts)).body.accessToken;

/** Where Azure is (the emulator) and no Azure CLI configuration from this machine. */
function endpoints(): Record<string, string> {
  return {
    AZURE_AUTHORITY_HOST: info.authorityHost,
    AZTOKENBRIDGE_ARM_ENDPOINT: info.armEndpoint,
    NODE_EXTRA_CA_CERTS: info.caFile,
    AZURE_CONFIG_DIR: path.join(tmp, "no-az-config"),
  };
}
const ctx = (env: Record<string, string> = {}, extra: Partial<CallContext> = {}): CallContext => ({ env: { ...endpoints(), ...env }, ...extra });
const secretEnv = () => ({ AZURE_TENANT_ID: info.tenantId, AZURE_CLIENT_ID: info.clientId, AZURE_CLIENT_SECRET: info.clientSecret, AZURE_SUBSCRIPTION_ID: info.subscriptionId });

/** The tenant access call of Get-AzApiManagementTenantAccess, through armTarget/armClient. */
async function tenantAccess(c: CallContext, subscriptionOverride?: string) {
  const target = armTarget(c, subscriptionOverride);
  const result = await armClient(ApiManagementClient, target).tenantAccess.get(RG, SVC, "access");
  return { target, principalId: result.principalId };
}

/** Puts the az test double first on PATH, "signed in" with `token` (or signed out), logging its calls. */
function useAzDouble(token: string | undefined): { calls: () => string[][]; tokenFile: string } {
  const tokenFile = path.join(tmp, `az-token-${Math.random().toString(36).slice(2)}`);
  const logFile = `${tokenFile}.log`;
  if (token) fs.writeFileSync(tokenFile, token);
  process.env.PATH = `${DOUBLE_DIR}${path.delimiter}${nodeOnly}`;
  process.env.AZTB_FAKE_AZ_CLI_TOKEN_FILE = tokenFile;
  process.env.AZTB_FAKE_AZ_CLI_LOG = logFile;
  return {
    tokenFile,
    calls: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l).argv) : []),
  };
}

/** The emulator's demo client certificate (PEM: certificate, then key) as a password-protected PFX. */
function pfxOfDemoCertificate(password: string, algorithm: "aes256" | "3des"): Buffer {
  const pem = fs.readFileSync(info.certificatePath, "utf8");
  const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(pem)![0];
  const p12 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(keyPem), [forge.pki.certificateFromPem(pem)], password, { algorithm });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), "binary");
}

function bridgeError(e: unknown): BridgeError {
  expect(e).toBeInstanceOf(BridgeError);
  return e as BridgeError;
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  info = emulator.info;
  ca = fs.readFileSync(info.caFile, "utf8");
  ({ control } = emulatorHttp(info, ca));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-signin-unit-"));
  nodeOnly = path.join(tmp, "node-only-bin");
  fs.mkdirSync(nodeOnly);
  fs.symlinkSync(process.execPath, path.join(nodeOnly, "node"));
});
afterAll(async () => {
  await emulator?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  clearCredentialCache();
  clearClientCache();
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
  process.env.PATH = nodeOnly; // no az unless a test puts the double there
  clock.now = () => Date.now();
  await control("DELETE", "/requests");
});
afterEach(() => {
  clock.now = () => Date.now();
});

describe("each source of the chain, with a real ARM call", () => {
  test("service principal with a client secret", async () => {
    const { target, principalId } = await tenantAccess(ctx(secretEnv()));
    expect(principalId).toBe("integration");
    expect(target.credential.key).toMatch(/^sp-secret:[0-9a-f]{32}$/);
    expect(target.credential.description).toContain(info.clientId);
    expect(JSON.stringify(target.credential.key + target.credential.description)).not.toContain(info.clientSecret);
    expect((await tokenRequests()).map((e) => [e.credentialType, e.clientId])).toEqual([["secret", info.clientId]]);
  });

  test("service principal with a PEM certificate (AZURE_CLIENT_CERTIFICATE_PATH)", async () => {
    const env = { AZURE_TENANT_ID: info.tenantId, AZURE_CLIENT_ID: info.clientId, AZURE_CLIENT_CERTIFICATE_PATH: info.certificatePath, AZURE_SUBSCRIPTION_ID: info.subscriptionId };
    const { target, principalId } = await tenantAccess(ctx(env));
    expect(principalId).toBe("integration");
    expect(target.credential.key).toMatch(/^sp-certificate:/);
    expect((await tokenRequests()).map((e) => e.credentialType)).toEqual(["certificate"]);
  });

  test("service principal with a password-protected PFX, converted in memory (nothing written)", async () => {
    // The PFX is made here from the emulator's PEM, as a user would export one.
    const pfx = path.join(tmp, "client.pfx");
    fs.writeFileSync(pfx, pfxOfDemoCertificate("pfx-pass-1", "aes256"));
    const env = {
      AZURE_TENANT_ID: info.tenantId, AZURE_CLIENT_ID: info.clientId, AZURE_CLIENT_CERTIFICATE_PATH: pfx,
      AZURE_CLIENT_CERTIFICATE_PASSWORD: "pfx-pass-1", AZURE_SUBSCRIPTION_ID: info.subscriptionId,
    };
    const nodeFs = require("node:fs") as typeof fs; // the module object itself (the import is a read-only namespace)
    const writes = (["writeFileSync", "writeFile", "appendFileSync", "appendFile", "createWriteStream"] as const).map((m) => jest.spyOn(nodeFs, m));
    const promiseWrite = jest.spyOn(nodeFs.promises, "writeFile");
    try {
      const { principalId } = await tenantAccess(ctx(env));
      expect(principalId).toBe("integration");
      for (const w of [...writes, promiseWrite]) expect(w).not.toHaveBeenCalled();
    } finally {
      for (const w of [...writes, promiseWrite]) w.mockRestore();
    }
    expect((await tokenRequests()).map((e) => e.credentialType)).toEqual(["certificate"]);

    // The wrong password: refused before any request, without the password in the message.
    clearCredentialCache();
    const e = bridgeError(await tenantAccess(ctx({ ...env, AZURE_CLIENT_CERTIFICATE_PASSWORD: "not-it-77" })).catch((x) => x));
    expect(e.data).toMatchObject({ errorId: "CertificateInvalid", category: "AuthenticationError" });
    expect(e.message).not.toContain("not-it-77");
    expect(await tokenRequests()).toHaveLength(1);
  });

  test("workload identity (AZURE_FEDERATED_TOKEN_FILE + AZURE_CLIENT_ID + AZURE_TENANT_ID)", async () => {
    const file = path.join(tmp, "federated-token");
    fs.writeFileSync(file, (await control<{ token: string }>("POST", "/workload-identity/token", {})).body.token);
    const env = { AZURE_TENANT_ID: info.tenantId, AZURE_CLIENT_ID: info.clientId, AZURE_FEDERATED_TOKEN_FILE: file, AZURE_SUBSCRIPTION_ID: info.subscriptionId };
    const { target, principalId } = await tenantAccess(ctx(env));
    expect(principalId).toBe("integration");
    expect(target.credential.key).toMatch(/^workload:/);
    expect((await tokenRequests()).map((e) => e.credentialType)).toEqual(["federated"]);
  });

  test("Azure CLI (test double), with the CLI's default subscription from azureProfile.json (BOM)", async () => {
    const config = path.join(tmp, "azure-cli");
    fs.mkdirSync(config, { recursive: true });
    fs.writeFileSync(
      path.join(config, "azureProfile.json"),
      "\ufeff" + JSON.stringify({ installationId: "x", subscriptions: [
        { id: "00000000-0000-0000-0000-000000000001", isDefault: false, tenantId: info.tenantId, name: "other", state: "Enabled", user: { name: "a", type: "user" }, environmentName: "AzureCloud" },
        { id: info.subscriptionId, isDefault: true, tenantId: info.tenantId, name: "demo", state: "Enabled", user: { name: "a", type: "user" }, environmentName: "AzureCloud" },
      ] }),
    );
    const az = useAzDouble(await mint());
    const { target, principalId } = await tenantAccess(ctx({ AZURE_CONFIG_DIR: config }));
    expect(principalId).toBe("integration");
    expect(target.subscriptionId).toBe(info.subscriptionId);
    expect(target.subscriptionSource).toBe("Azure CLI");
    expect(target.credential.key).toMatch(/^developer:/);
    expect(az.calls()).toEqual([["account", "get-access-token", "--output", "json", "--resource", "https://management.azure.com"]]);
    expect(await entraRequests()).toEqual([]); // the CLI's token, not a sign-in of ours
    expect((await log()).find((e) => e.service === "arm")).toMatchObject({ status: 200, clientId: info.clientId });
  });

  test("Azure CLI with AZURE_TENANT_ID: az is asked for that tenant", async () => {
    const az = useAzDouble(await mint());
    await tenantAccess(ctx({ AZURE_TENANT_ID: info.tenantId, AZURE_SUBSCRIPTION_ID: info.subscriptionId }));
    expect(az.calls()).toEqual([["account", "get-access-token", "--output", "json", "--resource", "https://management.azure.com", "--tenant", info.tenantId]]);
  });

  test("Az.Accounts context: its token (Get-AzAccessToken) and its subscription, no sign-in of ours", async () => {
    const token = await mint();
    const az = { source: "Az.Accounts" as const, subscriptionId: info.subscriptionId, tenantId: info.tenantId, environment: "AzureCloud", account: "00000000-0000-0000-0000-00000000a11c", accessToken: token, expiresOn: new Date(Date.now() + 3600_000).toISOString() };
    const { target, principalId } = await tenantAccess(ctx({}, { azContext: az }));
    expect(principalId).toBe("integration");
    expect(target.subscriptionSource).toBe("Az.Accounts");
    expect(await entraRequests()).toEqual([]);
    expect((await log()).filter((e) => e.service === "arm").map((e) => e.status)).toEqual([200]);
  });
});

describe("-DefaultProfile is the identity", () => {
  const wrongEnv = () => ({ AZURE_TENANT_ID: info.tenantId, AZURE_CLIENT_ID: info.clientId, AZURE_CLIENT_SECRET: "wrong-8Q~xyz", AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000009" });

  test("a hashtable beats the environment's service principal and subscription", async () => {
    const profile = { tenantId: info.tenantId, clientId: info.clientId, clientSecret: info.clientSecret, subscriptionId: info.subscriptionId };
    const { target, principalId } = await tenantAccess(ctx(wrongEnv(), { profile }));
    expect(principalId).toBe("integration");
    expect(target.subscriptionSource).toBe("DefaultProfile");
    expect(target.credential.description).toMatch(/^-DefaultProfile/);
    expect((await tokenRequests()).map((e) => e.credentialType)).toEqual(["secret"]);
  });

  test("a hashtable with a PFX certificate and its password", async () => {
    const pfx = path.join(tmp, "profile.pfx");
    fs.writeFileSync(pfx, pfxOfDemoCertificate("pw-2", "3des"));
    const profile = { tenantId: info.tenantId, clientId: info.clientId, certificatePath: pfx, certificatePassword: "pw-2", subscriptionId: info.subscriptionId };
    expect((await tenantAccess(ctx(wrongEnv(), { profile }))).principalId).toBe("integration");
    expect((await tokenRequests()).map((e) => e.credentialType)).toEqual(["certificate"]);
  });

  test("an Az context object (with its Get-AzAccessToken token) beats the environment and the session's context", async () => {
    const azContext = { source: "DefaultProfile" as const, subscriptionId: info.subscriptionId, tenantId: info.tenantId, environment: "AzureCloud", account: "ctx-account", accessToken: await mint() };
    const { target, principalId } = await tenantAccess(ctx(wrongEnv(), { azContext }));
    expect(principalId).toBe("integration");
    expect(target.credential.key).toMatch(/^az-context:/);
    expect(target.subscriptionSource).toBe("DefaultProfile");
    expect(await entraRequests()).toEqual([]);
  });
});

describe("order of the chain", () => {
  test("the environment's service principal comes before the Azure CLI", async () => {
    const az = useAzDouble(await mint());
    await tenantAccess(ctx(secretEnv()));
    expect((await tokenRequests()).map((e) => e.credentialType)).toEqual(["secret"]);
    expect(az.calls()).toEqual([]);
  });

  test("the Azure CLI comes before Az.Accounts", async () => {
    const other = (await control<{ clientId: string }>("POST", "/apps", { displayName: "az-accounts-user" })).body;
    const az = useAzDouble(await mint()); // the demo app
    const azContext = { source: "Az.Accounts" as const, subscriptionId: info.subscriptionId, account: other.clientId, accessToken: await mint({ clientId: other.clientId }) };
    await tenantAccess(ctx({}, { azContext }));
    expect(az.calls()).toHaveLength(1);
    expect((await log()).find((e) => e.service === "arm")).toMatchObject({ status: 200, clientId: info.clientId });
  });

  test("a signed-out Azure CLI falls through to Az.Accounts", async () => {
    const other = (await control<{ clientId: string }>("POST", "/apps", { displayName: "az-accounts-user-2" })).body;
    const az = useAzDouble(undefined);
    const azContext = { source: "Az.Accounts" as const, subscriptionId: info.subscriptionId, account: other.clientId, accessToken: await mint({ clientId: other.clientId }) };
    await tenantAccess(ctx({}, { azContext }));
    expect(az.calls()).toHaveLength(1);
    expect((await log()).find((e) => e.service === "arm")).toMatchObject({ status: 200, clientId: other.clientId });
  });

  test("a configured source that fails is the answer: no fall-through to another identity", async () => {
    const az = useAzDouble(await mint());
    const e = bridgeError(await tenantAccess(ctx({ ...secretEnv(), AZURE_CLIENT_SECRET: "not-the-secret-8Q~abc" })).catch((x) => x));
    expect(az.calls()).toEqual([]);
    expect(e.code).toBe(BridgeErrorCodes.AuthenticationFailed);
    expect(e.data).toMatchObject({ category: "AuthenticationError", errorId: "AADSTS7000215", serviceCode: "AADSTS7000215" });
    expect(e.message).toMatch(/^Sign-in with the service principal from the environment \(service principal .+\) failed: .*AADSTS7000215/s);
    expect(JSON.stringify({ m: e.message, d: e.data })).not.toContain("not-the-secret-8Q~abc");
    // and the protocol error the module gets:
    const r = toResponseError(e);
    expect(r.code).toBe(1002);
    expect(r.data).toMatchObject({ category: "AuthenticationError", errorId: "AADSTS7000215" });
  });
});

test("an unreachable authority is a connection error (1004), not a wrong identity", async () => {
  const e = bridgeError(await tenantAccess(ctx({ ...secretEnv(), AZURE_AUTHORITY_HOST: "https://127.0.0.1:1" })).catch((x) => x));
  expect(e.code).toBe(BridgeErrorCodes.NetworkError);
  expect(e.data).toMatchObject({ category: "ConnectionError" });
  // The cause the pipeline saw (src/azure/retry.ts), not msal's endpoints_resolution_error.
  expect(e.data.errorId).toBe("ECONNREFUSED");
  expect(e.message).toMatch(/failed\. Could not connect to https:\/\/127\.0\.0\.1:1: the connection was refused \(ECONNREFUSED\)/);
  expect(e.message).not.toContain(info.clientSecret);
});

describe("when nothing gives a token", () => {
  test("one error listing each source, why it did not apply and how to fix it, without secrets", async () => {
    // Half a service principal (no tenant): not configured, and its secret must not show.
    const c = ctx({ AZURE_CLIENT_SECRET: "half-configured-secret-42", AZURE_CLIENT_ID: info.clientId, AZURE_SUBSCRIPTION_ID: info.subscriptionId });
    const e = bridgeError(await tenantAccess(c).catch((x) => x));
    expect(e.code).toBe(BridgeErrorCodes.AuthenticationFailed);
    expect(e.data).toMatchObject({ category: "AuthenticationError", errorId: "NoAzureIdentity" });
    const lines = e.message.split("\n");
    expect(lines[0]).toBe("No Azure identity to sign in with. Tried, in this order:");
    expect(lines[1]).toMatch(/^ {2}1\. Service principal from the environment: not configured: AZURE_CLIENT_SECRET is set but AZURE_TENANT_ID is not\. To use it: set AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET for a client secret, .*AZURE_CLIENT_CERTIFICATE_PATH for a certificate/);
    expect(lines[2]).toMatch(/^ {2}2\. Workload identity: not configured: AZURE_FEDERATED_TOKEN_FILE is not set\. To use it: set AZURE_FEDERATED_TOKEN_FILE/);
    expect(lines[3]).toMatch(/^ {2}3\. Managed identity: not configured: IDENTITY_ENDPOINT and IDENTITY_HEADER, or MSI_ENDPOINT, are not set/);
    expect(lines[4]).toMatch(/^ {2}4\. Azure CLI: not installed \('az' is not on the PATH\)\. To use it: run 'az login'/);
    expect(lines[5]).toMatch(/^ {2}5\. Az\.Accounts: not loaded in this session, or it has no context\. To use it: Import-Module Az\.Accounts and run Connect-AzAccount/);
    expect(lines[6]).toMatch(/-DefaultProfile .*Start-AzTokenBridgeEmulator/);
    expect(JSON.stringify({ m: e.message, d: e.data })).not.toContain("half-configured-secret-42");
    expect(await log()).toEqual([]); // nothing was sent anywhere (no IMDS probe either)
  });

  test("a signed-out Azure CLI and an Az.Accounts context without a token say so", async () => {
    useAzDouble(undefined);
    const azContext = { source: "Az.Accounts" as const, subscriptionId: info.subscriptionId, account: "someone@contoso.com" };
    const e = bridgeError(await tenantAccess(ctx({}, { azContext })).catch((x) => x));
    expect(e.message).toMatch(/4\. Azure CLI: not signed in\. To use it: run 'az login'/);
    expect(e.message).toMatch(/5\. Az\.Accounts: the context of someone@contoso\.com came without a token/);
  });
});

describe("token cache", () => {
  /** Another client type: its own SDK client (and token cycler), the same cached credential. */
  class SecondClient extends ApiManagementClient {}

  test("a second call makes no token request, even from a new SDK client", async () => {
    const c = ctx(secretEnv());
    const first = await tenantAccess(c);
    const second = armTarget(c);
    expect(second.credential.key).toBe(first.target.credential.key);
    const u = await armClient(SecondClient, second).user.getSharedAccessToken(RG, SVC, "1", { keyType: "primary", expiry: new Date(Date.now() + 3600_000) });
    expect(u.value).toMatch(/^1&\d{12}&/);
    const entries = await log();
    expect(entries.filter((e) => e.grantType)).toHaveLength(1);
    expect(entries.filter((e) => e.service === "arm").map((e) => e.status)).toEqual([200, 200]);
  });

  test("concurrent calls share one token request", async () => {
    const c = ctx(secretEnv());
    const targets = [0, 1, 2, 3, 4].map(() => armTarget(c));
    const tokens = await Promise.all(targets.map((t) => t.credential.credential.getToken(t.settings.armScope)));
    expect(new Set(tokens.map((t) => t!.token)).size).toBe(1);
    expect(await tokenRequests()).toHaveLength(1);
  });

  test("a second call runs no az (AzureCliCredential has no cache of its own)", async () => {
    const az = useAzDouble(await mint());
    const c = ctx({ AZURE_SUBSCRIPTION_ID: info.subscriptionId });
    await tenantAccess(c);
    const u = await armClient(SecondClient, armTarget(c)).user.getSharedAccessToken(RG, SVC, "1", { keyType: "primary", expiry: new Date(Date.now() + 3600_000) });
    expect(u.value).toMatch(/^1&/);
    expect(az.calls()).toHaveLength(1);
    expect((await log()).filter((e) => e.service === "arm").map((e) => e.status)).toEqual([200, 200]);
  });

  test("concurrent calls share one run of az", async () => {
    const az = useAzDouble(await mint());
    const c = ctx({ AZURE_SUBSCRIPTION_ID: info.subscriptionId });
    const targets = [0, 1, 2, 3].map(() => armTarget(c));
    const tokens = await Promise.all(targets.map((t) => t.credential.credential.getToken(t.settings.armScope)));
    expect(new Set(tokens.map((t) => t!.token)).size).toBe(1);
    expect(az.calls()).toHaveLength(1);
  });

  test("a token is refreshed 5 minutes before it expires", async () => {
    const az = useAzDouble(await mint({ expiresInSeconds: 3600 }));
    const t = armTarget(ctx({ AZURE_SUBSCRIPTION_ID: info.subscriptionId }));
    const scope = t.settings.armScope;
    const first = await t.credential.credential.getToken(scope);
    await t.credential.credential.getToken(scope);
    expect(az.calls()).toHaveLength(1);

    const next = await mint({ expiresInSeconds: 3600, claims: { n: 2 } });
    fs.writeFileSync(az.tokenFile, next);
    clock.now = () => first!.expiresOnTimestamp - 5 * 60_000 - 1000; // just before the refresh point
    expect((await t.credential.credential.getToken(scope))!.token).toBe(first!.token);
    expect(az.calls()).toHaveLength(1);
    clock.now = () => first!.expiresOnTimestamp - 4 * 60_000; // within 5 minutes of expiry
    expect((await t.credential.credential.getToken(scope))!.token).toBe(next);
    expect(az.calls()).toHaveLength(2);
  });

  test("a short-lived token is not kept (it is always within the refresh margin)", async () => {
    const az = useAzDouble(await mint({ expiresInSeconds: 120 }));
    const t = armTarget(ctx({ AZURE_SUBSCRIPTION_ID: info.subscriptionId }));
    await t.credential.credential.getToken(t.settings.armScope);
    await t.credential.credential.getToken(t.settings.armScope);
    expect(az.calls()).toHaveLength(2);
  });

  test("a failed refresh keeps the still-valid token", async () => {
    const az = useAzDouble(await mint({ expiresInSeconds: 3600 }));
    const t = armTarget(ctx({ AZURE_SUBSCRIPTION_ID: info.subscriptionId }));
    const first = await t.credential.credential.getToken(t.settings.armScope);
    fs.rmSync(az.tokenFile); // signed out meanwhile
    clock.now = () => first!.expiresOnTimestamp - 60_000;
    expect((await t.credential.credential.getToken(t.settings.armScope))!.token).toBe(first!.token);
    clock.now = () => first!.expiresOnTimestamp + 1000;
    const e = bridgeError(await t.credential.credential.getToken(t.settings.armScope).catch((x) => x));
    expect(e.data.errorId).toBe("NoAzureIdentity");
  });

  test("an abort stops the caller's wait, not the shared fetch", async () => {
    await control("PUT", "/latency", { ms: 300 });
    try {
      const t = armTarget(ctx(secretEnv()));
      const ac = new AbortController();
      const aborted = t.credential.credential.getToken(t.settings.armScope, { abortSignal: ac.signal });
      const other = t.credential.credential.getToken(t.settings.armScope);
      ac.abort();
      await expect(aborted).rejects.toMatchObject({ name: "AbortError" });
      expect((await other)!.token).toMatch(/^eyJ/);
      expect(toResponseError(await aborted.catch((x) => x)).code).toBe(BridgeErrorCodes.RequestCancelled);
      expect(await tokenRequests()).toHaveLength(1);
    } finally {
      await control("PUT", "/latency", { ms: 0 });
    }
  });
});

describe("subscription with sign-in", () => {
  test("the -ResourceId's subscription comes first", async () => {
    const t = armTarget(ctx({ ...secretEnv(), AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000009" }), info.subscriptionId);
    expect(t.subscriptionSource).toBe("-ResourceId");
    expect((await armClient(ApiManagementClient, t).tenantAccess.get(RG, SVC, "access")).principalId).toBe("integration");
  });

  test("no subscription anywhere: NoSubscription before any token request", async () => {
    const { AZURE_SUBSCRIPTION_ID: _s, ...env } = secretEnv();
    const e = bridgeError((() => { try { armTarget(ctx(env)); } catch (x) { return x; } })());
    expect(e.data.errorId).toBe("NoSubscription");
    expect(await log()).toEqual([]);
  });
});
