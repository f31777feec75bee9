/**
 * The server's New-PartnerAccessToken handlers (src/partner) against the in-process emulator: every
 * flow, the user flows as one call whose notices arrive as warning notifications while it waits for
 * the user, cancellation (the loopback port freed), errors.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import { startEmulator, RunningEmulator, EmulatorInfo } from "../../src/emulator";
import { EmulatorHttp, emulatorHttp } from "../support/emulatorHttp";
import { newAccessToken } from "../../src/partner/handlers";
import { Notifier } from "../../src/rpc/notify";
import { accessTokenResult, resolveAuthority } from "../../src/partner/validation";
import { toResponseError } from "../../src/rpc/errors";
import { PartnerNewAccessTokenParams, WarningNotification } from "../../src/protocol";

const SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation";
let emulator: RunningEmulator;
let info: EmulatorInfo;
let control: EmulatorHttp["control"];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  info = emulator.info;
  ({ control } = emulatorHttp(info, fs.readFileSync(info.caFile, "utf8"), { agent: false }));
  await control("PUT", "/entra/device-codes/interval", { seconds: 1 });
});
afterAll(async () => emulator?.close());

function params(p: Partial<PartnerNewAccessTokenParams>): PartnerNewAccessTokenParams {
  return {
    context: { env: { AZURE_AUTHORITY_HOST: info.authorityHost, NODE_EXTRA_CA_CERTS: info.caFile, AZTOKENBRIDGE_BROWSER: "none" } },
    parameterSet: "User",
    ...p,
  };
}

const never = new AbortController().signal;

/** A Notifier that keeps the warnings sent, and waits for one. */
function warningsOf(): { notify: Notifier; warnings: string[]; next: (pattern: RegExp) => Promise<string> } {
  const warnings: string[] = [];
  let waiters: Array<() => void> = [];
  const notify = new Notifier(7, (method, params) => {
    if (method !== WarningNotification.method) return;
    const p = params as { requestId: number; message: string };
    expect(p.requestId).toBe(7);
    warnings.push(p.message);
    waiters.splice(0).forEach((w) => w());
  });
  const next = async (pattern: RegExp): Promise<string> => {
    for (;;) {
      const found = warnings.find((w) => pattern.test(w));
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { notify, warnings, next };
}
const errorData = (e: unknown) => toResponseError(e).data;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

test("client credentials with a secret; a wrong secret is AADSTS7000215 with Entra's description", async () => {
  const r = await newAccessToken(
    params({ parameterSet: "ServicePrincipal", applicationId: info.clientId, tenant: info.tenantId, scopes: ["https://api.partnercenter.microsoft.com/.default"], credential: { userName: "x", password: info.clientSecret } }),
    never,
  );
  expect(r.result).toMatchObject({ refreshToken: null, account: null, idToken: null, tenantId: info.tenantId });
  expect(r.info).toMatchObject({ flow: "ClientCredentials", client: "confidential (secret)", authority: `https://login.microsoftonline.com/${info.tenantId}`, redirectedTo: `${info.authorityHost}/${info.tenantId}` });
  const e = await newAccessToken(
    params({ parameterSet: "ServicePrincipal", applicationId: info.clientId, tenant: info.tenantId, scopes: ["https://api.partnercenter.microsoft.com/.default"], credential: { userName: "x", password: "wrong" } }),
    never,
  ).catch((x) => x);
  expect(errorData(e)).toMatchObject({ category: "AuthenticationError", errorId: "AADSTS7000215", serviceCode: "AADSTS7000215", serviceMessage: expect.stringMatching(/^AADSTS7000215: Invalid client secret provided\./) });
  expect(JSON.stringify(errorData(e))).not.toContain("wrong");
});

test("device code: one call; the message is a warning while it waits, the tokens with a refresh token once approved; refresh rotates it", async () => {
  const w = warningsOf();
  const call = newAccessToken(params({ applicationId: info.publicClientId, scopes: [SCOPE], useDeviceAuthentication: true }), never, w.notify);
  const message = await w.next(/enter the code/);
  expect(message).toMatch(/^To sign in, use a web browser to open the page .*\/devicelogin and enter the code [A-Z0-9]{9} to authenticate\.$/);
  const code = /enter the code (\w+)/.exec(message)![1];
  await control("POST", "/entra/device-codes/approve", { userCode: code });
  const done = await call;
  expect(w.warnings).toEqual([message]);
  expect(done.info).toMatchObject({ flow: "DeviceCode", client: "public" });
  expect(done.result.refreshToken).toMatch(/^1\.A/);
  expect(done.result.account).toMatchObject({ username: info.users[0] });
  const refreshed = await newAccessToken(params({ parameterSet: "RefreshToken", applicationId: info.publicClientId, scopes: [SCOPE], refreshToken: done.result.refreshToken! }), never);
  expect(refreshed.result.refreshToken).toMatch(/^1\.A/);
  expect(refreshed.result.refreshToken).not.toBe(done.result.refreshToken);
  // Another client: AADSTS700007 (RefreshToken set, -Credential's user name is the client id).
  const e = await newAccessToken(
    params({ parameterSet: "RefreshToken", credential: { userName: info.clientId, password: info.clientSecret }, scopes: [SCOPE], refreshToken: refreshed.result.refreshToken! }),
    never,
  ).catch((x) => x);
  expect(errorData(e)).toMatchObject({ errorId: "AADSTS700007" });
});

test("browser sign-in: the first free port from 8400, the URL said (a warning) when no browser opens, completed by the control API; cancel frees the port", async () => {
  const w = warningsOf();
  const call = newAccessToken(params({ applicationId: info.publicClientId, scopes: [SCOPE] }), never, w.notify);
  const said = await w.next(/^Unable to launch a browser/);
  expect(w.warnings[0]).toBe("Attempting to launch a browser for authorization code login.");
  const url = /(https:\S+)$/.exec(said)![1];
  const redirect = new URL(url).searchParams.get("redirect_uri")!;
  expect(redirect).toMatch(/^http:\/\/localhost:(8[4-9]\d\d)\/$/);
  const port = Number(new URL(redirect).port);
  expect(await portFree(port)).toBe(false);
  expect((await control("POST", "/entra/browser-login", { url, user: info.users[1] })).body).toMatchObject({ loopbackStatus: 200, responseMode: "query" });
  const done = await call;
  expect(done.result.account!.username).toBe(info.users[1]);
  expect(done.result.refreshToken).toBeTruthy();
  expect(await portFree(port)).toBe(true);

  const w2 = warningsOf();
  const cancel = new AbortController();
  const waiting = newAccessToken(params({ applicationId: info.publicClientId, scopes: [SCOPE] }), cancel.signal, w2.notify).catch((x) => x);
  const port2 = Number(new URL(new URL(/(https:\S+)$/.exec(await w2.next(/^Unable to launch/))![1]).searchParams.get("redirect_uri")!).port);
  expect(await portFree(port2)).toBe(false);
  cancel.abort();
  expect((await waiting).name).toBe("AbortError");
  expect(await portFree(port2)).toBe(true);
});

test("device code cancelled while waiting for the user", async () => {
  const w = warningsOf();
  const cancel = new AbortController();
  const waiting = newAccessToken(params({ applicationId: info.publicClientId, scopes: [SCOPE], useDeviceAuthentication: true }), cancel.signal, w.notify).catch((x) => x);
  await w.next(/enter the code/);
  cancel.abort();
  expect((await waiting).name).toBe("AbortError");
});

test("environments: mapping, Germany refused, custom host only when not a real cloud", () => {
  const ctx = { env: {} };
  expect(resolveAuthority({ context: ctx, parameterSet: "User", environment: "AzureChinaCloud" }).authority).toBe("https://login.chinacloudapi.cn/organizations");
  expect(resolveAuthority({ context: ctx, parameterSet: "User", environment: "AzureUSGovernment", tenant: "contoso.com" }).authority).toBe("https://login.microsoftonline.us/contoso.com");
  expect(resolveAuthority({ context: ctx, parameterSet: "User", environment: "AzurePPE" })).toMatchObject({ authority: "https://login.windows-ppe.net/organizations", knownAuthorities: ["login.windows-ppe.net"] });
  expect(() => resolveAuthority({ context: ctx, parameterSet: "User", environment: "AzureGermanCloud" })).toThrow(/closed on 29 October 2021/);
  expect(resolveAuthority({ context: { env: { AZURE_AUTHORITY_HOST: "https://login.microsoftonline.us" } }, parameterSet: "User" })).toMatchObject({ redirected: false, msalAuthority: "https://login.microsoftonline.com/organizations" });
});

test("AccessToken set: decoded without network; an expired token is refused with the original's message", () => {
  const mk = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.x`;
  const exp = Math.floor(Date.now() / 1000) + 600;
  const r = accessTokenResult(mk({ exp, tid: "t", oid: "o", upn: "u@x" }), [SCOPE]);
  expect(r).toMatchObject({ refreshToken: null, tenantId: "t", account: { username: "u@x", homeAccountId: { identifier: "o.t" } }, scopes: [SCOPE] });
  expect(() => accessTokenResult(mk({ exp: exp - 1200 }), [SCOPE])).toThrow("The access token has expired. Generate a new one and try again.");
});
