/**
 * The emulator in-process, driven by the real SDKs (@azure/identity, @azure/arm-apimanagement) and by
 * raw HTTPS where the exact wire shape matters: Entra ID sign-in and errors, ARM authentication,
 * headers and errors, API Management users, tokens and tenant access.
 */
import { createHmac, createPublicKey, createVerify } from "node:crypto";
import { EmulatorHttp, emulatorHttp, RawResponse } from "../support/emulatorHttp";
import * as fs from "node:fs";
import * as tls from "node:tls";
import { ClientSecretCredential } from "@azure/identity";
import { ApiManagementClient } from "@azure/arm-apimanagement";
import { startEmulator, RunningEmulator, EmulatorInfo } from "../../src/emulator";

const RG = "powershelltest";
const SVC = "powershellsdkservice";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let emulator: RunningEmulator;
let info: EmulatorInfo;
let ca: string;
let credential: ClientSecretCredential;
let client: ApiManagementClient;

let raw: EmulatorHttp["raw"];
let control: EmulatorHttp["control"];

async function armToken(scope = "https://management.azure.com/.default"): Promise<string> {
  return (await credential.getToken(scope))!.token;
}

const svcPath = (sub = info.subscriptionId, rg = RG, svc = SVC): string =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ApiManagement/service/${svc}`;

async function armGet(path: string, token?: string): Promise<RawResponse> {
  return raw("GET", path, { headers: { authorization: `Bearer ${token ?? (await armToken())}` } });
}

const formForm = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();

function tokenRequest(tenant: string, fields: Record<string, string>): Promise<RawResponse> {
  return raw("POST", `/${tenant}/oauth2/v2.0/token`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: formForm(fields),
  });
}

function decodeJwt(token: string): { header: any; payload: any } {
  const [h, p] = token.split(".");
  return { header: JSON.parse(Buffer.from(h, "base64url").toString()), payload: JSON.parse(Buffer.from(p, "base64url").toString()) };
}

/** Own HMAC (not the emulator's code): base64(HMAC-SHA512(utf8 key, uid \n yyyy-MM-ddTHH:mm:00.0000000Z)). */
function expectedToken(uid: string, expiry: Date, key: string): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const d = expiry;
  const stamp = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
  const signed = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:00.0000000Z`;
  const sig = createHmac("sha512", Buffer.from(key, "utf8")).update(`${uid}\n${signed}`).digest("base64");
  return `${uid}&${stamp}&${sig}`;
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  info = emulator.info;
  ca = fs.readFileSync(info.caFile, "utf8");
  ({ raw, control } = emulatorHttp(info, ca));
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), ca]);
  credential = new ClientSecretCredential(info.tenantId, info.clientId, info.clientSecret, {
    authorityHost: info.authorityHost,
    disableInstanceDiscovery: true,
  });
  client = new ApiManagementClient(credential, info.subscriptionId, {
    endpoint: info.armEndpoint,
    credentialScopes: ["https://management.azure.com/.default"],
    retryOptions: { maxRetries: 0 },
  });
});

afterAll(async () => {
  await emulator?.close();
});

describe("EmulatorInfo", () => {
  test("one origin on 127.0.0.1, demo names, CA file on disk", () => {
    expect(info.armEndpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(info.authorityHost).toBe(info.armEndpoint);
    expect(info.controlEndpoint).toBe(`${info.armEndpoint}/_emulator`);
    expect(info.resourceGroup).toBe("powershelltest");
    expect(info.apimServiceName).toBe("powershellsdkservice");
    for (const id of [info.tenantId, info.subscriptionId, info.clientId]) expect(id).toMatch(GUID);
    expect(info.clientSecret).toMatch(/^.{3}8Q~.{34}$/);
    expect(fs.readFileSync(info.caFile, "utf8")).toContain("-----BEGIN CERTIFICATE-----");
  });
});

describe("Entra ID", () => {
  test("@azure/identity signs in (client secret) and gets an RS256 ARM token", async () => {
    const cred = new ClientSecretCredential(info.tenantId, info.clientId, info.clientSecret, { authorityHost: info.authorityHost, disableInstanceDiscovery: true });
    const before = Date.now();
    const t = await cred.getToken("https://management.azure.com/.default");
    expect(t.expiresOnTimestamp).toBeGreaterThan(before + 3500_000);
    expect(t.expiresOnTimestamp).toBeLessThanOrEqual(Date.now() + 3600_000);
    const { header, payload } = decodeJwt(t.token);
    expect(header).toMatchObject({ typ: "JWT", alg: "RS256" });
    expect(payload).toMatchObject({
      aud: "https://management.azure.com",
      iss: `https://sts.windows.net/${info.tenantId}/`,
      tid: info.tenantId,
      appid: info.clientId,
      idtyp: "app",
      ver: "1.0",
    });
    expect(payload.exp - payload.iat).toBe(3599);
  });

  test("token endpoint answer and JWKS verify the signature", async () => {
    const r = await tokenRequest(info.tenantId, {
      grant_type: "client_credentials",
      client_id: info.clientId,
      client_secret: info.clientSecret,
      scope: "https://management.core.windows.net//.default",
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599 });
    expect(r.headers["cache-control"]).toBe("no-store, no-cache");
    const { header, payload } = decodeJwt(r.json.access_token);
    expect(payload.aud).toBe("https://management.core.windows.net/");

    const oidc = await raw("GET", `/${info.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(oidc.status).toBe(200);
    expect(oidc.json.token_endpoint).toBe(`${info.authorityHost}/${info.tenantId}/oauth2/v2.0/token`);
    expect(oidc.json.issuer).toBe(`${info.authorityHost}/${info.tenantId}/v2.0`);
    const jwks = await raw("GET", new URL(oidc.json.jwks_uri).pathname);
    const jwk = jwks.json.keys.find((k: any) => k.kid === header.kid);
    expect(jwk).toBeDefined();
    const [h, p, s] = r.json.access_token.split(".");
    const key = createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: "jwk" });
    expect(createVerify("RSA-SHA256").update(`${h}.${p}`).verify(key, Buffer.from(s, "base64url"))).toBe(true);

    // A token for the management.core.windows.net audience is accepted by ARM too.
    expect((await armGet(`${svcPath()}?api-version=2024-05-01`, r.json.access_token)).status).toBe(200);
  });

  test("wrong secret: AADSTS7000215 surfaced by @azure/identity", async () => {
    const cred = new ClientSecretCredential(info.tenantId, info.clientId, "not-the-secret", { authorityHost: info.authorityHost, disableInstanceDiscovery: true });
    await expect(cred.getToken("https://management.azure.com/.default")).rejects.toThrow(/AADSTS7000215: Invalid client secret provided/);
  });

  test("wrong secret: Entra ID's 401 envelope on the wire", async () => {
    const r = await tokenRequest(info.tenantId, {
      grant_type: "client_credentials",
      client_id: info.clientId,
      client_secret: "not-the-secret",
      scope: "https://management.azure.com/.default",
    });
    expect(r.status).toBe(401);
    expect(r.json.error).toBe("invalid_client");
    expect(r.json.error_codes).toEqual([7000215]);
    expect(r.json.error_uri).toBe("https://login.microsoftonline.com/error?code=7000215");
    expect(r.json.trace_id).toMatch(GUID);
    expect(r.json.correlation_id).toMatch(GUID);
    expect(r.json.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
    expect(r.json.error_description).toBe(
      "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, " +
        `for a secret added to app '${info.clientId}'.\r\nTrace ID: ${r.json.trace_id}\r\nCorrelation ID: ${r.json.correlation_id}\r\nTimestamp: ${r.json.timestamp}`,
    );
    expect(r.text).not.toContain("not-the-secret");
  });

  test("unknown application: AADSTS700016 (400 unauthorized_client)", async () => {
    const r = await tokenRequest(info.tenantId, {
      grant_type: "client_credentials",
      client_id: "00000000-1111-2222-3333-444444444444",
      client_secret: "x",
      scope: "https://management.azure.com/.default",
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("unauthorized_client");
    expect(r.json.error_description).toMatch(/^AADSTS700016: Application with identifier '00000000-1111-2222-3333-444444444444' was not found in the directory 'AzTokenBridge Demo'\./);
  });

  test("unknown tenant: AADSTS90002, on the token endpoint and the metadata", async () => {
    const tenant = "9e0b8a3c-0000-4000-8000-000000000001";
    const r = await tokenRequest(tenant, { grant_type: "client_credentials", client_id: info.clientId, client_secret: "x", scope: "https://management.azure.com/.default" });
    expect(r.status).toBe(400);
    expect(r.json.error_codes).toEqual([90002]);
    expect(r.json.error_description).toMatch(new RegExp(`^AADSTS90002: Tenant '${tenant}' not found\\.`));
    const m = await raw("GET", `/${tenant}/v2.0/.well-known/openid-configuration`);
    expect(m.status).toBe(400);
    expect(m.json.error).toBe("invalid_tenant");
  });
});

describe("ARM front door", () => {
  test("401 without a bearer token, with ARM's challenge", async () => {
    const r = await raw("GET", `${svcPath()}?api-version=2024-05-01`);
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error: { code: "AuthenticationFailed", message: "Authentication failed. The 'Authorization' header is missing." } });
    expect(r.headers["www-authenticate"]).toBe(
      `Bearer authorization_uri="${info.authorityHost}/${info.tenantId}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
    );
    expect(r.headers["x-ms-failure-cause"]).toBe("gateway");
  });

  test("malformed, tampered, expired, wrong-audience and wrong-tenant tokens", async () => {
    const path = `${svcPath()}?api-version=2024-05-01`;
    const basic = await raw("GET", path, { headers: { authorization: "Basic abc" } });
    expect(basic.json.error.code).toBe("AuthenticationFailed");

    const good = await armToken();
    const [h, p, s] = good.split(".");
    const payload = JSON.parse(Buffer.from(p, "base64url").toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, appid: "someone-else" })).toString("base64url")}.${s}`;
    for (const token of ["not-a-jwt", forged]) {
      const r = await armGet(path, token);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ error: { code: "InvalidAuthenticationToken", message: "The access token is invalid." } });
    }

    const expired = (await control("POST", "/tokens", { expiresInSeconds: -3600 })).body.accessToken;
    const e = await armGet(path, expired);
    expect(e.status).toBe(401);
    expect(e.json.error.code).toBe("ExpiredAuthenticationToken");
    expect(e.json.error.message).toMatch(/^The access token expiry UTC time '\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M' is earlier than current UTC time '\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M'\.$/);
    expect(e.headers["www-authenticate"]).toContain('error="invalid_token"');

    const vault = (await control("POST", "/tokens", { audience: "https://vault.azure.net" })).body.accessToken;
    const a = await armGet(path, vault);
    expect(a.status).toBe(401);
    expect(a.json.error).toEqual({
      code: "InvalidAuthenticationTokenAudience",
      message:
        "The access token has been obtained for wrong audience or resource 'https://vault.azure.net'. It should exactly match with one of the allowed audiences " +
        "'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.",
    });

    const other = (await control("POST", "/tokens", { tenantId: "0b4c6c67-0000-4000-8000-000000000002" })).body.accessToken;
    const t = await armGet(path, other);
    expect(t.status).toBe(401);
    expect(t.json.error.code).toBe("InvalidAuthenticationTokenTenant");
    expect(t.json.error.message).toContain(`It must match the tenant 'https://sts.windows.net/${info.tenantId}/' associated with this subscription.`);
  });

  test("ARM response headers (as recorded)", async () => {
    const token = await armToken();
    const corr = "6478c67e-822c-4146-a1c5-4b83fc593cc7";
    const r1 = await raw("GET", `${svcPath()}/users/1?api-version=2024-05-01`, { headers: { authorization: `Bearer ${token}`, "x-ms-correlation-request-id": corr } });
    const r2 = await armGet(`${svcPath()}/users/1?api-version=2024-05-01`, token);
    expect(r1.status).toBe(200);
    expect(r1.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(r1.headers["cache-control"]).toBe("no-cache");
    expect(r1.headers["pragma"]).toBe("no-cache");
    expect(r1.headers["expires"]).toBe("-1");
    expect(r1.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    expect(r1.headers["x-content-type-options"]).toBe("nosniff");
    expect(r1.headers["server"]).toBe("Microsoft-HTTPAPI/2.0");
    expect(r1.headers["etag"]).toMatch(/^"[A-Za-z0-9+/]{22}=="$/);
    expect(new Date(String(r1.headers["date"])).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(r1.headers["x-ms-request-id"]).toMatch(GUID);
    expect(r1.headers["x-ms-correlation-request-id"]).toBe(corr);
    expect(r1.headers["x-ms-routing-request-id"]).toMatch(new RegExp(`^WESTUS2:\\d{8}T\\d{6}Z:${corr}$`));
    const reads1 = Number(r1.headers["x-ms-ratelimit-remaining-subscription-reads"]);
    const reads2 = Number(r2.headers["x-ms-ratelimit-remaining-subscription-reads"]);
    expect(reads1).toBeGreaterThan(11000);
    expect(reads2).toBe(reads1 - 1);
    expect(r2.headers["x-ms-correlation-request-id"]).toMatch(GUID);
    expect(r2.headers["x-ms-correlation-request-id"]).not.toBe(corr);

    const post = await raw("POST", `${svcPath()}/tenant/access/listSecrets?api-version=2024-05-01`, { headers: { authorization: `Bearer ${token}` } });
    expect(post.status).toBe(200);
    expect(Number(post.headers["x-ms-ratelimit-remaining-subscription-writes"])).toBeLessThan(1200);
    expect(post.headers["x-ms-ratelimit-remaining-subscription-reads"]).toBeUndefined();
  });

  test("MissingApiVersionParameter, InvalidSubscriptionId, SubscriptionNotFound, ResourceGroupNotFound, ResourceNotFound", async () => {
    const token = await armToken();
    const noVersion = await armGet(svcPath(), token);
    expect(noVersion.status).toBe(400);
    expect(noVersion.json).toEqual({ error: { code: "MissingApiVersionParameter", message: "The api-version query parameter (?api-version=) is required for all requests." } });

    const badSub = await armGet(`${svcPath("not-a-guid")}?api-version=2024-05-01`, token);
    expect(badSub.status).toBe(400);
    expect(badSub.json.error).toEqual({ code: "InvalidSubscriptionId", message: "The provided subscription identifier 'not-a-guid' is malformed or invalid." });

    const otherSub = "3f1e2d4c-0000-4000-8000-000000000003";
    const noSub = await armGet(`${svcPath(otherSub)}?api-version=2024-05-01`, token);
    expect(noSub.status).toBe(404);
    expect(noSub.json.error).toEqual({ code: "SubscriptionNotFound", message: `The subscription '${otherSub}' could not be found.` });

    await expect(client.user.get("nosuchgroup", SVC, "1")).rejects.toMatchObject({
      statusCode: 404,
      code: "ResourceGroupNotFound",
      message: "Resource group 'nosuchgroup' could not be found.",
    });
    await expect(client.apiManagementService.get(RG, "nosuchservice")).rejects.toMatchObject({
      statusCode: 404,
      code: "ResourceNotFound",
      message:
        "The Resource 'Microsoft.ApiManagement/service/nosuchservice' under resource group 'powershelltest' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    });
    const otherType = await armGet(`/subscriptions/${info.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ContainerRegistry/registries/acr1?api-version=2023-07-01`, token);
    expect(otherType.status).toBe(404);
    expect(otherType.json.error.code).toBe("ResourceNotFound");
    expect(otherType.json.error.message).toBe(
      "The Resource 'Microsoft.ContainerRegistry/registries/acr1' under resource group 'powershelltest' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    );

    const badVersion = await armGet(`${svcPath()}?api-version=2099-01-01`, token);
    expect(badVersion.status).toBe(400);
    expect(badVersion.json.error.code).toBe("NoRegisteredProviderFound");
  });
});

describe("API Management", () => {
  test("service GET through the SDK", async () => {
    const s = await client.apiManagementService.get(RG, SVC);
    expect(s.name).toBe(SVC);
    expect(s.id).toBe(`/subscriptions/${info.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ApiManagement/service/${SVC}`);
    expect(s.type).toBe("Microsoft.ApiManagement/service");
    expect(s.provisioningState).toBe("Succeeded");
    expect(s.gatewayUrl).toBe("https://powershellsdkservice.azure-api.net");
    expect(s.sku).toEqual({ name: "Developer", capacity: 1 });
  });

  test("user get: the Administrator (user 1), shape as recorded", async () => {
    const r = await armGet(`${svcPath()}/users/1?api-version=2024-05-01`);
    expect(r.json).toEqual({
      id: `${svcPath()}/users/1`,
      type: "Microsoft.ApiManagement/service/users",
      name: "1",
      properties: {
        firstName: "Administrator",
        lastName: "",
        email: "admin@contoso.com",
        state: "active",
        registrationDate: "2019-05-09T04:29:23.44Z",
        note: null,
        identities: [{ provider: "Azure", id: "admin@contoso.com" }],
      },
    });
    const u = await client.user.get(RG, SVC, "1");
    expect(u.firstName).toBe("Administrator");
  });

  test("user get 404: ResourceNotFound 'User not found.' through the SDK", async () => {
    expect.assertions(4);
    try {
      await client.user.get(RG, SVC, "nosuchuser");
    } catch (e: any) {
      expect(e.statusCode).toBe(404);
      expect(e.code).toBe("ResourceNotFound");
      expect(e.message).toBe("User not found.");
      expect(e.details).toEqual({ error: { code: "ResourceNotFound", message: "User not found.", details: null } });
    }
  });

  test("users: paging through nextLink with $top, every user once", async () => {
    const pages: string[][] = [];
    for await (const page of client.user.listByService(RG, SVC, { top: 10 }).byPage()) pages.push(page.map((u) => u.name!));
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    const all = pages.flat();
    expect(new Set(all).size).toBe(25);
    expect(all[0]).toBe("1");
    expect(all).not.toContain("integration");

    const first = await armGet(`${svcPath()}/users?api-version=2024-05-01&$top=10`);
    expect(first.json.count).toBe(25);
    const next = new URL(first.json.nextLink);
    expect(next.origin).toBe(info.armEndpoint);
    expect(next.searchParams.get("api-version")).toBe("2024-05-01");
    expect(next.searchParams.get("$top")).toBe("10");
    expect(next.searchParams.get("$skip")).toBe("10");

    const everything = await armGet(`${svcPath()}/users?api-version=2024-05-01`);
    expect(everything.json.value).toHaveLength(25);
    expect(everything.json.nextLink).toBeUndefined();

    let n = 0;
    for await (const _ of client.user.listByService(RG, SVC)) n++;
    expect(n).toBe(25);
  });

  test("users: $filter (eq, startswith, contains) and an invalid filter", async () => {
    const names = async (filter: string) => {
      const out: string[] = [];
      for await (const u of client.user.listByService(RG, SVC, { filter })) out.push(`${u.firstName} ${u.lastName}`.trim());
      return out;
    };
    expect(await names("state eq 'blocked'")).toEqual(["Henrietta Mueller"]);
    expect(await names("startswith(firstName, 'A')")).toEqual(["Administrator", "Adele Vance", "Alex Wilber", "Allan Deyoung"]);
    expect(await names("contains(email, 'contoso.com')")).toHaveLength(25);
    expect(await names("lastName eq 'Gu' or name eq '1'")).toEqual(["Administrator", "Lee Gu"]);
    expect(await names("firstName eq 'Adele' and lastName eq 'Nobody'")).toEqual([]);

    const paged: string[] = [];
    for await (const u of client.user.listByService(RG, SVC, { filter: "state eq 'active'", top: 4 })) paged.push(u.name!);
    expect(paged).toHaveLength(23);

    await expect(client.user.listByService(RG, SVC, { filter: "firstName likes 'A'" }).next()).rejects.toMatchObject({ statusCode: 400, code: "ValidationError" });
  });

  test("tenant access: get (no secrets) and listSecrets", async () => {
    const access = await client.tenantAccess.get(RG, SVC, "access");
    expect(access).toMatchObject({ name: "access", principalId: "integration", enabled: true, type: "Microsoft.ApiManagement/service/tenant" });
    expect(access.id).toBe(`${svcPath()}/tenant/access`);
    const git = await client.tenantAccess.get(RG, SVC, "gitAccess");
    expect(git).toMatchObject({ name: "gitAccess", principalId: "git", enabled: true });

    const wire = await armGet(`${svcPath()}/tenant/access?api-version=2024-05-01`);
    expect(wire.json.properties).toEqual({ principalId: "integration", primaryKey: null, secondaryKey: null, enabled: true });
    expect(wire.headers["etag"]).toBeDefined();

    const secrets = await client.tenantAccess.listSecrets(RG, SVC, "access");
    expect(secrets.principalId).toBe("integration");
    expect(secrets.primaryKey).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(secrets.secondaryKey).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(secrets.primaryKey).not.toBe(secrets.secondaryKey);
    const keys = (await control("GET", "/apim/users/integration/keys")).body;
    expect(keys).toMatchObject({ primaryKey: secrets.primaryKey, secondaryKey: secrets.secondaryKey });

    // api-version 2019-01-01: the old flat shape, with keys (recorded).
    const legacy = await armGet(`${svcPath()}/tenant/access?api-version=2019-01-01`);
    expect(legacy.json).toEqual({ id: "integration", primaryKey: secrets.primaryKey, secondaryKey: secrets.secondaryKey, enabled: true });
  });

  test("tenant access update (PATCH enabled) returns the keys, as recorded; If-Match is checked", async () => {
    const off = await client.tenantAccess.update(RG, SVC, "gitAccess", "*", { enabled: false });
    expect(off).toMatchObject({ name: "gitAccess", principalId: "git", enabled: false });
    expect((await client.tenantAccess.get(RG, SVC, "gitAccess")).enabled).toBe(false);
    // On the wire the PATCH answer carries the keys (recorded for 2021-08-01).
    const patched = await raw("PATCH", `${svcPath()}/tenant/gitAccess?api-version=2024-05-01`, {
      headers: { authorization: `Bearer ${await armToken()}`, "content-type": "application/json", "if-match": "*" },
      body: JSON.stringify({ properties: { enabled: false } }),
    });
    expect(patched.status).toBe(200);
    expect(patched.json.properties.primaryKey).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(patched.json.properties.secondaryKey).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    await expect(client.tenantAccess.update(RG, SVC, "gitAccess", '"stale"', { enabled: true })).rejects.toMatchObject({ statusCode: 412, code: "PreconditionFailed" });
    const etag = (await client.tenantAccess.getEntityTag(RG, SVC, "gitAccess")).eTag!;
    const on = await client.tenantAccess.update(RG, SVC, "gitAccess", etag, { enabled: true });
    expect(on.enabled).toBe(true);
    await expect(client.tenantAccess.get(RG, SVC, "nosuchaccess")).rejects.toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
  });

  test("getSharedAccessToken: signature matches an HMAC made from the control keys (user, primary and secondary)", async () => {
    const users: string[] = [];
    for await (const u of client.user.listByService(RG, SVC, { top: 3 })) users.push(u.name!);
    const userId = users[2];
    const keys = (await control("GET", `/apim/users/${userId}/keys`)).body;
    const expiry = new Date(Date.now() + 8 * 3600_000 + 34_567);
    const primary = await client.user.getSharedAccessToken(RG, SVC, userId, { keyType: "primary", expiry });
    const secondary = await client.user.getSharedAccessToken(RG, SVC, userId, { keyType: "secondary", expiry });
    expect(primary.value).toBe(expectedToken(userId, expiry, keys.primaryKey));
    expect(secondary.value).toBe(expectedToken(userId, expiry, keys.secondaryKey));
    expect(primary.value).not.toBe(secondary.value);
    expect(primary.value).toMatch(new RegExp(`^${userId}&\\d{12}&[A-Za-z0-9+/]{86}==$`));
  });

  test("getSharedAccessToken for integration and git uses the tenant access keys", async () => {
    const expiry = new Date(Date.now() + 3600_000);
    const access = await client.tenantAccess.listSecrets(RG, SVC, "access");
    const git = await client.tenantAccess.listSecrets(RG, SVC, "gitAccess");
    expect((await client.user.getSharedAccessToken(RG, SVC, "integration", { keyType: "primary", expiry })).value).toBe(expectedToken("integration", expiry, access.primaryKey!));
    expect((await client.user.getSharedAccessToken(RG, SVC, "git", { keyType: "secondary", expiry })).value).toBe(expectedToken("git", expiry, git.secondaryKey!));
  });

  test("getSharedAccessToken: enveloped and flat bodies on the wire give the same token", async () => {
    const token = await armToken();
    const path = `${svcPath()}/users/integration/token?api-version=2024-05-01`;
    const expiry = new Date(Date.now() + 2 * 3600_000);
    const post = (body: unknown) =>
      raw("POST", path, { headers: { authorization: `Bearer ${token}`, "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(body, null, 2) });
    const enveloped = await post({ properties: { keyType: "primary", expiry: expiry.toISOString() } });
    const flat = await post({ keyType: "primary", expiry: expiry.toISOString() });
    expect(enveloped.status).toBe(200);
    expect(flat.status).toBe(200);
    expect(Object.keys(enveloped.json)).toEqual(["value"]);
    expect(flat.json.value).toBe(enveloped.json.value);
    // Compact JSON on the wire (recorded Content-Length matches the compact form).
    expect(enveloped.text).toBe(JSON.stringify({ value: enveloped.json.value }));
    expect(enveloped.headers["x-ms-ratelimit-remaining-subscription-writes"]).toBeDefined();
  });

  test("getSharedAccessToken: 404 for an unknown user, through the SDK", async () => {
    await expect(
      client.user.getSharedAccessToken(RG, SVC, "nosuchuser", { keyType: "primary", expiry: new Date(Date.now() + 3600_000) }),
    ).rejects.toMatchObject({ statusCode: 404, code: "ResourceNotFound", message: "User not found." });
  });

  test("getSharedAccessToken: 400 ValidationError for past / more than 30 days (SDK), bad keyType / missing expiry (wire)", async () => {
    for (const expiry of [new Date(Date.now() - 60_000), new Date(Date.now() + 31 * 24 * 3600_000)]) {
      expect.hasAssertions();
      try {
        await client.user.getSharedAccessToken(RG, SVC, "1", { keyType: "primary", expiry });
        throw new Error("expected a 400");
      } catch (e: any) {
        expect(e.statusCode).toBe(400);
        expect(e.code).toBe("ValidationError");
        expect(e.message).toBe("One or more fields contain incorrect values:");
        expect(e.details.error.details).toEqual([expect.objectContaining({ code: "ValidationError", target: "expiry" })]);
      }
    }
    // Exactly 30 days is allowed.
    const ok = await client.user.getSharedAccessToken(RG, SVC, "1", { keyType: "primary", expiry: new Date(Date.now() + 30 * 24 * 3600_000 - 5_000) });
    expect(ok.value).toMatch(/^1&\d{12}&/);

    const token = await armToken();
    const post = (body: unknown) =>
      raw("POST", `${svcPath()}/users/1/token?api-version=2024-05-01`, { headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const badKey = await post({ properties: { keyType: "tertiary", expiry: new Date(Date.now() + 3600_000).toISOString() } });
    expect(badKey.status).toBe(400);
    expect(badKey.json.error.code).toBe("ValidationError");
    expect(badKey.json.error.message).toBe("One or more fields contain incorrect values:");
    expect(badKey.json.error.details).toEqual([{ code: "ValidationError", target: "keyType", message: expect.any(String) }]);
    const noExpiry = await post({ properties: { keyType: "primary" } });
    expect(noExpiry.status).toBe(400);
    expect(noExpiry.json.error.details.map((d: any) => d.target)).toEqual(["expiry"]);
    const empty = await post({});
    expect(empty.json.error.details.map((d: any) => d.target)).toEqual(["keyType", "expiry"]);
  });
});
