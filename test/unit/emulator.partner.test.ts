/**
 * The emulator's Entra ID for New-PartnerAccessToken, driven by the real @azure/msal-node 7.2.1:
 * Partner Center as a resource, client credentials (secret, certificate), device code with
 * authorization_pending until approved through the control API, interactive sign-in (form_post,
 * msal's own loopback) and confidential authorization code (query), refresh tokens (rotation,
 * binding to the client, expiry), MFA errors on demand.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import { createHash, randomBytes, X509Certificate } from "node:crypto";
import * as tls from "node:tls";
import { AuthenticationResult, ConfidentialClientApplication, Configuration, PublicClientApplication } from "@azure/msal-node";
import { EmulatorHttp, emulatorHttp } from "../support/emulatorHttp";
import { startEmulator, RunningEmulator, EmulatorInfo } from "../../src/emulator";

const PARTNER_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation";
const PARTNER_DEFAULT = "https://api.partnercenter.microsoft.com/.default";

let emulator: RunningEmulator;
let info: EmulatorInfo;
let control: EmulatorHttp["control"];
let requestLog: EmulatorHttp["requestLog"];
let raw: EmulatorHttp["raw"];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  info = emulator.info;
  const ca = fs.readFileSync(info.caFile, "utf8");
  ({ control, requestLog, raw } = emulatorHttp(info, ca, { agent: false }));
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), ca]);
  await control("PUT", "/entra/device-codes/interval", { seconds: 1 });
});
afterAll(async () => emulator?.close());

function config(clientId: string, tenant: string, extra: Partial<Configuration["auth"]> = {}): Configuration {
  return {
    auth: {
      clientId,
      authority: `${info.authorityHost}/${tenant}`,
      knownAuthorities: [new URL(info.authorityHost).host],
      ...extra,
    },
  };
}

function decode(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

/** The refresh token msal-node keeps in its cache for this result (partner.md 4.2). */
function refreshTokenOf(app: PublicClientApplication | ConfidentialClientApplication, result: AuthenticationResult, clientId: string): string | undefined {
  const cache = JSON.parse(app.getTokenCache().serialize());
  const entry = Object.values(cache.RefreshToken ?? {}).find(
    (e: any) => e.home_account_id === result.account!.homeAccountId && e.environment === result.account!.environment && e.client_id === clientId,
  ) as { secret: string } | undefined;
  return entry?.secret;
}

async function deviceCodeSignIn(clientId = info.publicClientId, user?: string): Promise<{ app: PublicClientApplication; result: AuthenticationResult; message: string }> {
  const app = new PublicClientApplication(config(clientId, "organizations"));
  let message = "";
  const result = await app.acquireTokenByDeviceCode({
    scopes: [PARTNER_SCOPE],
    deviceCodeCallback: (r) => {
      message = r.message;
      // Approve after the first poll has seen authorization_pending.
      setTimeout(() => void control("POST", "/entra/device-codes/approve", { userCode: r.userCode, ...(user ? { user } : {}) }), 1500);
    },
  });
  return { app, result: result!, message };
}

describe("client credentials for Partner Center", () => {
  test("secret: an app token for https://api.partnercenter.microsoft.com; a wrong secret is AADSTS7000215", async () => {
    const app = new ConfidentialClientApplication(config(info.clientId, info.tenantId, { clientSecret: info.clientSecret }));
    const r = await app.acquireTokenByClientCredential({ scopes: [PARTNER_DEFAULT] });
    expect(r!.account).toBeNull();
    const claims = decode(r!.accessToken);
    expect(claims.aud).toBe("https://api.partnercenter.microsoft.com");
    expect(claims.appid).toBe(info.clientId);
    expect(claims.appidacr).toBe("1");

    const wrong = new ConfidentialClientApplication(config(info.clientId, info.tenantId, { clientSecret: "not-the-secret" }));
    await expect(wrong.acquireTokenByClientCredential({ scopes: [PARTNER_DEFAULT] })).rejects.toMatchObject({
      errorCode: "invalid_client",
      errorMessage: expect.stringContaining("Description: AADSTS7000215: Invalid client secret provided."),
    });
  });

  test("certificate: msal's client assertion is verified (appidacr 2)", async () => {
    const pem = fs.readFileSync(info.certificatePath, "utf8");
    const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0];
    const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(pem)![0];
    const thumbprintSha256 = createHash("sha256").update(new X509Certificate(certPem).raw).digest("hex");
    const app = new ConfidentialClientApplication(config(info.clientId, info.tenantId, { clientCertificate: { thumbprintSha256, privateKey: keyPem } }));
    const r = await app.acquireTokenByClientCredential({ scopes: [PARTNER_DEFAULT] });
    expect(decode(r!.accessToken).appidacr).toBe("2");
  });
});

describe("device code", () => {
  test("authorization_pending until approved through the control API; user tokens, id token, client_info, refresh token", async () => {
    await control("DELETE", "/requests");
    const { app, result, message } = await deviceCodeSignIn();
    expect(message).toMatch(new RegExp(`^To sign in, use a web browser to open the page ${info.authorityHost}/devicelogin and enter the code [A-Z0-9]{9} to authenticate\\.$`));
    expect(result.account!.username).toBe(info.users[0]);
    expect(result.account!.homeAccountId).toBe(`${decode(result.accessToken).oid}.${info.tenantId}`);
    expect(result.idToken).toBeTruthy();
    const claims = decode(result.accessToken);
    expect(claims).toMatchObject({ aud: "https://api.partnercenter.microsoft.com", scp: "user_impersonation", upn: info.users[0], appid: info.publicClientId, appidacr: "0", tid: info.tenantId });
    expect(result.scopes).toContain(PARTNER_SCOPE);
    expect(refreshTokenOf(app, result, info.publicClientId)).toMatch(/^1\.A/);
    const polls = (await requestLog()).filter((e) => e.grantType === "device_code").map((e) => e.status);
    expect(polls[0]).toBe(400); // authorization_pending
    expect(polls[polls.length - 1]).toBe(200);
    const codes = (await control("GET", "/entra/device-codes")).body;
    expect(codes[0]).toMatchObject({ status: "redeemed", user: info.users[0] });
    expect(JSON.stringify(codes)).not.toMatch(/DAQAB/);
  });

  test("a declined code fails with authorization_declined; a confidential app without credentials gets AADSTS7000218", async () => {
    const app = new PublicClientApplication(config(info.publicClientId, "organizations"));
    await expect(
      app.acquireTokenByDeviceCode({
        scopes: [PARTNER_SCOPE],
        deviceCodeCallback: (r) => void control("POST", "/entra/device-codes/approve", { userCode: r.userCode, decline: true }),
      }),
    ).rejects.toMatchObject({ errorCode: "post_request_failed", errorMessage: expect.stringContaining("authorization_declined") });
    // msal-node's device code poll keeps only the `error` field of a failure (not Entra's description):
    // the server reads the description from the response itself (src/partner/msal.ts).

    const web = new PublicClientApplication(config(info.clientId, "organizations"));
    await expect(
      web.acquireTokenByDeviceCode({
        scopes: [PARTNER_SCOPE],
        deviceCodeCallback: (r) => void control("POST", "/entra/device-codes/approve", { userCode: r.userCode }),
      }),
    ).rejects.toMatchObject({ errorCode: "post_request_failed", errorMessage: expect.stringContaining("invalid_client") });
    const polls = (await requestLog()).filter((e) => e.grantType === "device_code" && e.clientId === info.clientId);
    expect(polls[polls.length - 1]).toMatchObject({ status: 401, aadsts: 7000218 });
  });
});

describe("browser sign-in", () => {
  test("msal-node's acquireTokenInteractive (PKCE, form_post to its loopback) completed by the control API", async () => {
    const app = new PublicClientApplication(config(info.publicClientId, "organizations"));
    let browserAnswer: any;
    const result = await app.acquireTokenInteractive({
      scopes: [PARTNER_SCOPE],
      prompt: "login",
      openBrowser: async (url) => {
        const u = new URL(url);
        expect(u.searchParams.get("response_mode")).toBe("form_post");
        expect(u.searchParams.get("code_challenge_method")).toBe("S256");
        browserAnswer = (await control("POST", "/entra/browser-login", { url, user: info.users[1] })).body;
      },
    });
    expect(browserAnswer).toMatchObject({ responseMode: "form_post", user: info.users[1], error: null, loopbackStatus: 200 });
    expect(result.account!.username).toBe(info.users[1]);
    expect(refreshTokenOf(app, result, info.publicClientId)).toBeTruthy();
  });

  test("confidential authorization code (query response mode, own loopback listener, secret); a cancelled sign-in is access_denied", async () => {
    const redirect = await new Promise<{ server: http.Server; uri: string; next: () => Promise<URLSearchParams> }>((resolve) => {
      let waiter: ((q: URLSearchParams) => void) | undefined;
      const server = http.createServer((req, res) => {
        res.setHeader("Connection", "close");
        res.end("ok");
        waiter?.(new URL(req.url!, "http://localhost").searchParams);
      });
      server.listen(0, "127.0.0.1", () => {
        const uri = `http://localhost:${(server.address() as any).port}/`;
        resolve({ server, uri, next: () => new Promise((r) => (waiter = r)) });
      });
    });
    try {
      const app = new ConfidentialClientApplication(config(info.clientId, "organizations", { clientSecret: info.clientSecret }));
      const verifier = randomBytes(32).toString("base64url");
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      const url = await app.getAuthCodeUrl({ scopes: [PARTNER_SCOPE], redirectUri: redirect.uri, codeChallenge: challenge, codeChallengeMethod: "S256" });
      const got = redirect.next();
      const answer = (await control("POST", "/entra/browser-login", { url })).body;
      expect(answer).toMatchObject({ responseMode: "query", loopbackStatus: 200 });
      const q = await got;
      const result = await app.acquireTokenByCode({ code: q.get("code")!, scopes: [PARTNER_SCOPE], redirectUri: redirect.uri, codeVerifier: verifier });
      expect(decode(result.accessToken)).toMatchObject({ appidacr: "1", upn: info.users[0] });
      // The same code again: already redeemed.
      await expect(app.acquireTokenByCode({ code: q.get("code")!, scopes: [PARTNER_SCOPE], redirectUri: redirect.uri, codeVerifier: verifier })).rejects.toMatchObject({
        errorMessage: expect.stringContaining("Description: AADSTS54005: OAuth2 Authorization code was already redeemed"),
      });

      const url2 = await app.getAuthCodeUrl({ scopes: [PARTNER_SCOPE], redirectUri: redirect.uri, state: "s1" });
      const got2 = redirect.next();
      await control("POST", "/entra/browser-login", { url: url2, decline: true });
      const q2 = await got2;
      expect(q2.get("error")).toBe("access_denied");
      expect(q2.get("state")).toBe("s1");
    } finally {
      redirect.server.close();
    }
  });
});

describe("refresh tokens", () => {
  test("rotation, binding to the client (AADSTS700007), expiry (AADSTS700082)", async () => {
    const { app, result } = await deviceCodeSignIn();
    const rt1 = refreshTokenOf(app, result, info.publicClientId)!;
    const fresh = new PublicClientApplication(config(info.publicClientId, "organizations"));
    const r2 = await fresh.acquireTokenByRefreshToken({ refreshToken: rt1, scopes: [PARTNER_SCOPE], forceCache: true });
    const rt2 = refreshTokenOf(fresh, r2!, info.publicClientId)!;
    expect(rt2).toMatch(/^1\.A/);
    expect(rt2).not.toBe(rt1);
    expect(decode(r2!.accessToken).upn).toBe(info.users[0]);

    const other = new ConfidentialClientApplication(config(info.clientId, info.tenantId, { clientSecret: info.clientSecret }));
    await expect(other.acquireTokenByRefreshToken({ refreshToken: rt2, scopes: [PARTNER_SCOPE], forceCache: true })).rejects.toMatchObject({
      errorCode: "invalid_grant",
      errorMessage: expect.stringContaining("Description: AADSTS700007: The grant was issued for a different client id."),
    });

    expect((await control("POST", "/entra/refresh-tokens/expire", {})).body.expired).toBeGreaterThan(0);
    await expect(fresh.acquireTokenByRefreshToken({ refreshToken: rt2, scopes: [PARTNER_SCOPE], forceCache: true })).rejects.toMatchObject({
      errorMessage: expect.stringMatching(/Description: AADSTS700082: The refresh token has expired due to inactivity\. The token was issued on \d{4}-\d\d-\d\dT[\d:.]+Z and was inactive for 90\.00:00:00\./),
    });
  });

  test("MFA on demand: AADSTS50076 as msal's InteractionRequiredAuthError; a new sign-in satisfies it", async () => {
    const user = info.users[1];
    const { app, result } = await deviceCodeSignIn(info.publicClientId, user);
    const rt = refreshTokenOf(app, result, info.publicClientId)!;
    await control("PUT", `/entra/users/${user}/interaction-required`, { code: 50076 });
    try {
      const fresh = new PublicClientApplication(config(info.publicClientId, "organizations"));
      const err = await fresh.acquireTokenByRefreshToken({ refreshToken: rt, scopes: [PARTNER_SCOPE], forceCache: true }).catch((e) => e);
      expect(err.name).toBe("InteractionRequiredAuthError");
      expect(err.errorMessage).toMatch(/^AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access 'fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd'\./);
      expect(err.subError).toBe("basic_action");

      const again = await deviceCodeSignIn(info.publicClientId, user);
      expect(decode(again.result.accessToken).amr).toEqual(["pwd", "mfa"]);
      const rt3 = refreshTokenOf(again.app, again.result, info.publicClientId)!;
      const ok = await new PublicClientApplication(config(info.publicClientId, "organizations")).acquireTokenByRefreshToken({ refreshToken: rt3, scopes: [PARTNER_SCOPE], forceCache: true });
      expect(ok!.accessToken).toBeTruthy();
    } finally {
      await control("PUT", `/entra/users/${user}/interaction-required`, { code: null });
    }
  });
});

describe("pages for a real browser", () => {
  test("/authorize: a sign-in page listing the demo users; its form answers with the code (query: 302; form_post: an auto-submitting form)", async () => {
    const q = new URLSearchParams({ client_id: info.publicClientId, redirect_uri: "http://localhost:8765/", response_type: "code", scope: `${PARTNER_SCOPE} openid offline_access`, state: "st" });
    const path = `/organizations/oauth2/v2.0/authorize?${q}`;
    const page = await raw("GET", path);
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    for (const u of info.users) expect(page.text).toContain(`<option value="${u}"`);
    const form = { headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ login: info.users[1] }).toString() };
    const answer = await raw("POST", path, form);
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.location as string);
    expect(`${location.origin}${location.pathname}`).toBe("http://localhost:8765/");
    expect(location.searchParams.get("state")).toBe("st");
    expect(location.searchParams.get("code")).toMatch(/^0\.A/);
    q.set("response_mode", "form_post");
    const posted = await raw("POST", `/organizations/oauth2/v2.0/authorize?${q}`, form);
    expect(posted.status).toBe(200);
    expect(posted.text).toMatch(/<form method="POST" name="hiddenform" action="http:\/\/localhost:8765\/"><input type="hidden" name="code" value="0\.A[^"]+"><input type="hidden" name="state" value="st">/);
    // A redirect URI that is not a loopback address: AADSTS50011, on the page (no redirect).
    q.set("redirect_uri", "https://evil.example/cb");
    const bad = await raw("GET", `/organizations/oauth2/v2.0/authorize?${q}`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("AADSTS50011: The redirect URI &#39;https://evil.example/cb&#39; specified in the request does not match");
  });

  test("/devicelogin: enter the code and pick a user", async () => {
    const dc = await raw("POST", "/organizations/oauth2/v2.0/devicecode", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: info.publicClientId, scope: `${PARTNER_SCOPE} openid offline_access` }).toString(),
    });
    expect(dc.json).toMatchObject({ verification_uri: `${info.authorityHost}/devicelogin`, expires_in: 900, interval: 1 });
    expect((await raw("GET", "/devicelogin")).text).toContain('<input name="code"');
    const done = await raw("POST", "/devicelogin", { headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ code: dc.json.user_code.toLowerCase(), login: info.users[1] }).toString() });
    expect(done.text).toContain("You have signed in.");
    const token = await raw("POST", "/organizations/oauth2/v2.0/token", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:device_code", client_id: info.publicClientId, device_code: dc.json.device_code }).toString(),
    });
    expect(token.status).toBe(200);
    expect(decode(token.json.access_token).upn).toBe(info.users[1]);
    expect(token.json).toMatchObject({ token_type: "Bearer", scope: PARTNER_SCOPE, refresh_token: expect.stringMatching(/^1\.A/), id_token: expect.any(String) });
    expect(token.json.client_info).toBeUndefined(); // only for client_info=1 (msal always asks)
  });
});
