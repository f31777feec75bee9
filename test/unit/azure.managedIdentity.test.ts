/**
 * Managed identity in the sign-in chain, against the emulator's App Service identity endpoint, with
 * a real ARM call. Its own file: msal-node keeps the managed identity source (endpoint, header) and
 * its token cache in process-wide statics, so each test file gets a fresh one.
 */
import * as fs from "node:fs";
import { EmulatorHttp, emulatorHttp } from "../support/emulatorHttp";
import * as os from "node:os";
import * as path from "node:path";
import { ApiManagementClient } from "@azure/arm-apimanagement";
import { startEmulator, RunningEmulator, EmulatorInfo } from "../../src/emulator";
import { BridgeErrorCodes, CallContext } from "../../src/protocol";
import { BridgeError } from "../../src/rpc/errors";
import { armClient, armTarget, clearClientCache } from "../../src/azure/arm";
import { clearCredentialCache } from "../../src/azure/credentials";

let emulator: RunningEmulator;
let info: EmulatorInfo;
let ca: string;
let tmp: string;

let control: EmulatorHttp["control"];
const log = async (): Promise<any[]> => (await control<any[]>("GET", "/requests")).body;

const ctx = (env: Record<string, string>): CallContext => ({
  env: {
    AZURE_AUTHORITY_HOST: info.authorityHost,
    AZTOKENBRIDGE_ARM_ENDPOINT: info.armEndpoint,
    NODE_EXTRA_CA_CERTS: info.caFile,
    AZURE_CONFIG_DIR: path.join(tmp, "no-az"),
    AZURE_SUBSCRIPTION_ID: info.subscriptionId,
    ...env,
  },
});
const miEnv = () => ({ IDENTITY_ENDPOINT: info.managedIdentity.endpoint, IDENTITY_HEADER: info.managedIdentity.header });

async function userToken(c: CallContext) {
  const target = armTarget(c);
  const r = await armClient(ApiManagementClient, target).user.getSharedAccessToken("powershelltest", "powershellsdkservice", "integration", {
    keyType: "primary",
    expiry: new Date(Date.now() + 3600_000),
  });
  return { target, value: r.value };
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  info = emulator.info;
  ca = fs.readFileSync(info.caFile, "utf8");
  ({ control } = emulatorHttp(info, ca));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-mi-"));
  process.env.PATH = `${path.dirname(process.execPath)}:/usr/bin:/bin`;
});
afterAll(async () => {
  await emulator?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  clearCredentialCache();
  clearClientCache();
  await control("DELETE", "/requests");
});

test("App Service managed identity (IDENTITY_ENDPOINT / IDENTITY_HEADER): a token from the endpoint, accepted by ARM", async () => {
  const { target, value } = await userToken(ctx(miEnv()));
  expect(value).toMatch(/^integration&\d{12}&/);
  expect(target.credential.key).toMatch(/^managed:[0-9a-f]{32}$/);
  expect(target.credential.key + target.credential.description).not.toContain(info.managedIdentity.header);
  const entries = await log();
  expect(entries.filter((e) => e.service === "identity").map((e) => [e.status, e.credentialType, e.clientId])).toEqual([[200, "managedIdentity", info.managedIdentity.clientId]]);
  expect(entries.filter((e) => e.service === "entra")).toEqual([]);
  expect(entries.find((e) => e.service === "arm")).toMatchObject({ status: 200, clientId: info.managedIdentity.clientId });
  // The call's variables were mirrored into the process for msal-node.
  expect(process.env.IDENTITY_ENDPOINT).toBe(info.managedIdentity.endpoint);

  // A second call: no request to the identity endpoint.
  clearClientCache();
  await userToken(ctx(miEnv()));
  expect((await log()).filter((e) => e.service === "identity")).toHaveLength(1);
});

test("AZURE_CLIENT_ID selects a user-assigned identity (here the same identity, asked for by its client id)", async () => {
  const { target, value } = await userToken(ctx({ ...miEnv(), AZURE_CLIENT_ID: info.managedIdentity.clientId }));
  expect(value).toMatch(/^integration&/);
  expect(target.credential.description).toContain(info.managedIdentity.clientId);
  expect((await log()).find((e) => e.service === "identity")).toMatchObject({ status: 200, credentialType: "managedIdentity" });
});

test("an identity the endpoint does not have: the endpoint's refusal, as one sign-in error", async () => {
  const e = (await userToken(ctx({ ...miEnv(), AZURE_CLIENT_ID: "00000000-0000-4000-8000-000000000000" })).catch((x) => x)) as BridgeError;
  expect(e).toBeInstanceOf(BridgeError);
  expect(e.code).toBe(BridgeErrorCodes.AuthenticationFailed);
  expect(e.data).toMatchObject({ category: "AuthenticationError", errorId: "ManagedIdentitySignInFailed" });
  expect(e.message).toMatch(/^Sign-in with the managed identity 00000000-0000-4000-8000-000000000000 \(https:\/\/127\.0\.0\.1:\d+\/msi\/token\) failed/);
  expect(e.message).not.toContain(info.managedIdentity.header);
  expect((await log()).filter((e2) => e2.service === "identity").map((e2) => e2.status)).toContain(400);
});

test("another endpoint or header later in the session: ManagedIdentityChanged, nothing sent", async () => {
  const e = (await userToken(ctx({ ...miEnv(), IDENTITY_HEADER: "0".repeat(32) })).catch((x) => x)) as BridgeError;
  expect(e).toBeInstanceOf(BridgeError);
  expect(e.data).toMatchObject({ category: "AuthenticationError", errorId: "ManagedIdentityChanged" });
  expect(e.message).toMatch(/new PowerShell session/);
  expect(e.message).not.toContain("0".repeat(32));
  expect(await log()).toEqual([]);
});

test("without the variables, managed identity is not tried (no IMDS probe): it is listed as not configured", async () => {
  const e = (await userToken(ctx({})).catch((x) => x)) as BridgeError;
  expect(e.data.errorId).toBe("NoAzureIdentity");
  expect(e.message).toMatch(/3\. Managed identity: not configured/);
  expect(await log()).toEqual([]);
});
